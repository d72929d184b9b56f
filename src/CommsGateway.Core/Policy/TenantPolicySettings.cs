namespace CommsGateway.Core.Policy;

/// <summary>Per-clinic policy settings. Defaults follow CNIL practice for French clinics.</summary>
public sealed record TenantPolicySettings
{
    public static readonly TenantPolicySettings Default = new();

    /// <summary>Marketing consent lapses this many months after the later of its grant and the last interaction (CNIL: 3 years).</summary>
    public int ConsentLapseMonths { get; init; } = 36;

    /// <summary>IANA zone used for quiet hours when the patient's own zone is unknown.</summary>
    public string TimeZone { get; init; } = "Europe/Paris";

    /// <summary>ISO country whose public holidays close the marketing window ("FR").</summary>
    public string HolidayCountry { get; init; } = "FR";

    /// <summary>Marketing send window, local time, Monday to Saturday; Sundays and public holidays closed.</summary>
    public TimeOnly MarketingWindowStart { get; init; } = new(8, 0);

    public TimeOnly MarketingWindowEnd { get; init; } = new(20, 0);

    public bool MarketingOnSundays { get; init; }

    /// <summary>Quiet hours apply to these channels (French practice targets SMS; WhatsApp likewise by default).</summary>
    public bool QuietHoursForEmail { get; init; }

    /// <summary>At most this many marketing messages per patient per rolling 7 days.</summary>
    public int MarketingFrequencyCapPer7Days { get; init; } = 3;

    /// <summary>Block WhatsApp free-form messages outside the 24-hour customer-service window (WhatsAppWindowClosed)
    /// unless an approved template is available; false leaves the window to Twilio (63016 after the attempt).</summary>
    public bool WhatsAppWindowEnforced { get; init; } = true;
}

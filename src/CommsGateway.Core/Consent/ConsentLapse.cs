namespace CommsGateway.Core.Consent;

/// <summary>
/// CNIL: prospect data may be used for marketing for at most 3 years from the last contact. A marketing
/// grant therefore lapses N months after the later of the grant itself and the patient's last interaction.
/// </summary>
public static class ConsentLapse
{
    public static DateTimeOffset LapsesAt(DateTimeOffset grantedAt, DateTimeOffset? lastInteractionAt, int months)
    {
        var from = lastInteractionAt is { } last && last > grantedAt ? last : grantedAt;
        return from.AddMonths(months);
    }

    /// <summary>Lapsed from the instant the N months have run out (inclusive).</summary>
    public static bool IsLapsed(DateTimeOffset grantedAt, DateTimeOffset? lastInteractionAt, int months, DateTimeOffset now) =>
        now >= LapsesAt(grantedAt, lastInteractionAt, months);
}

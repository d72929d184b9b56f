namespace CommsGateway.Contracts;

/// <summary>A producer (the booking system) keeps the contact directory current with this event.</summary>
public sealed record PatientContactChanged
{
    public string TenantId { get; init; } = "";

    public string PatientId { get; init; } = "";

    public string? FirstName { get; init; }

    public string? LastName { get; init; }

    public string? Email { get; init; }

    /// <summary>Any common notation; the gateway normalises it to E.164.</summary>
    public string? Phone { get; init; }

    public string? WhatsApp { get; init; }

    public string? Locale { get; init; }

    public string? TimeZone { get; init; }

    public DateTimeOffset? LastInteractionAt { get; init; }

    public DateTimeOffset OccurredAt { get; init; }
}

namespace CommsGateway.Contracts;

/// <summary>
/// A patient's contact details as the clinic's systems hold them, addresses in any common notation: the body of a
/// contact update, whether it comes from a producer's event, the admin API or an import file.
/// </summary>
public record ContactDetails
{
    public string? FirstName { get; init; }

    public string? LastName { get; init; }

    public string? Email { get; init; }

    /// <summary>Any common notation; the gateway normalises it to E.164.</summary>
    public string? Phone { get; init; }

    public string? WhatsApp { get; init; }

    public string? Locale { get; init; }

    public string? TimeZone { get; init; }

    public DateTimeOffset? LastInteractionAt { get; init; }
}

/// <summary>A producer (the booking system) keeps the contact directory current with this event.</summary>
public sealed record PatientContactChanged : ContactDetails
{
    public string TenantId { get; init; } = "";

    public string PatientId { get; init; } = "";

    public DateTimeOffset OccurredAt { get; init; }
}

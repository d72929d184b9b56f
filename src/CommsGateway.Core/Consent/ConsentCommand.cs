namespace CommsGateway.Core.Consent;

/// <summary>A request to record consent, as a caller sends it: it may (wrongly) name several purposes or channels.</summary>
public sealed record ConsentCommand
{
    public string TenantId { get; init; } = "";

    public string PatientId { get; init; } = "";

    public ConsentAction Action { get; init; }

    public IReadOnlyList<string> Purposes { get; init; } = [];

    public IReadOnlyList<string> Channels { get; init; } = [];

    public string? Placement { get; init; }

    /// <summary>When the patient gave or withdrew it; defaults to now.</summary>
    public DateTimeOffset? OccurredAt { get; init; }

    public ConsentEvidence Evidence { get; init; } = new();
}

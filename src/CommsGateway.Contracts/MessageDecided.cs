namespace CommsGateway.Contracts;

/// <summary>Published once an intent has its decision (and, when sent, its provider result).</summary>
public sealed record MessageDecided
{
    public string IntentId { get; init; } = "";

    public string TenantId { get; init; } = "";

    public Guid DecisionId { get; init; }

    public DecisionOutcome Outcome { get; init; }

    /// <summary>Stable codes from <see cref="ReasonCodes"/>.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    public Purpose DetectedPurpose { get; init; }

    public Channel Channel { get; init; }

    public string? CampaignId { get; init; }

    public DateTimeOffset DecidedAt { get; init; }
}

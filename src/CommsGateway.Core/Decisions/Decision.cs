using CommsGateway.Contracts;

namespace CommsGateway.Core.Decisions;

/// <summary>What the policy decided for one intent, and why, in stable reason codes.</summary>
public sealed record Decision(
    DecisionOutcome Outcome,
    IReadOnlyList<string> Reasons,
    Purpose DetectedPurpose)
{
    /// <summary>When Deferred: when to evaluate again.</summary>
    public DateTimeOffset? DeferredUntil { get; init; }

    /// <summary>The consent ledger event the decision relied on, if any.</summary>
    public long? ConsentEventId { get; init; }

    /// <summary>Human-readable details for the DPO (validation messages, classifier signals).</summary>
    public IReadOnlyList<string> Details { get; init; } = [];

    public bool ShouldSend => Outcome is DecisionOutcome.Sent or DecisionOutcome.SentWithMarketingRemoved;

    public static Decision Rejected(IReadOnlyList<Validation.ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return new Decision(
            DecisionOutcome.Rejected,
            errors.Select(e => e.Code).Distinct().ToArray(),
            Purpose.Unknown)
        {
            Details = errors.Select(e => $"{e.Field}: {e.Message}").ToArray(),
        };
    }
}

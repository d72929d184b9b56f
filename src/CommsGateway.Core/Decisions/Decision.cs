using CommsGateway.Contracts;

namespace CommsGateway.Core.Decisions;

/// <summary>The content that will actually go out (marketing blocks removed when the policy says so).</summary>
public sealed record SendableContent(string? Subject, string Body, string? Html, bool IsMarketing);

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

    /// <summary>When the decision is to send: the content to render and send.</summary>
    public SendableContent? Content { get; init; }

    /// <summary>The address the message goes to (from the patient's record, never from the producer).</summary>
    public string? Recipient { get; init; }

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

using System.Security.Cryptography;
using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Validation;
using CommsGateway.Providers;

namespace CommsGateway.Features.Intents;

/// <summary>
/// What happens to an intent: validate, drop a duplicate, classify, decide, record ONE decision,
/// then (only when the decision says so) send. The rules live in Core; this class only wires I/O.
/// </summary>
public sealed class IntentPipeline(
    DecisionLog decisionLog,
    ContentClassifier classifier,
    IMessageDispatcher dispatcher,
    TimeProvider clock,
    ILogger<IntentPipeline> logger)
{
    public async Task<MessageDecided> ProcessAsync(MessageIntent intent, string? transportMessageId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var now = clock.GetUtcNow();
        var errors = IntentValidator.Validate(intent);
        if (errors.Count > 0)
        {
            var keyed = intent with
            {
                IntentId = string.IsNullOrWhiteSpace(intent.IntentId) || intent.IntentId.Length > ChannelLimits.IdentifierLength
                    ? SyntheticIntentId(transportMessageId, intent)
                    : intent.IntentId,
                TenantId = intent.TenantId ?? "",
            };
            return await RecordAsync(keyed, Decision.Rejected(errors), null, now, ct);
        }

        // No lookup first: classification and policy are pure and cheap, and the append itself reports a
        // duplicate (any earlier decision of this IntentId) in the same round trip.
        var classification = classifier.Classify(intent);
        var decision = SendPolicy.Decide(new PolicyInput(intent, classification, now));
        var decided = await RecordAsync(intent, decision, classification, now, ct);
        if (decided.Outcome == DecisionOutcome.Duplicate || !decision.ShouldSend)
        {
            return decided;
        }

        var result = await dispatcher.DispatchAsync(new OutboundMessage(decided.DecisionId, intent), ct);
        await decisionLog.RecordDispatchAsync(decided.DecisionId, intent.TenantId, intent.IntentId, intent.Channel,
            result.Succeeded ? "sent" : "failed", result.ProviderMessageId, result.ReasonCode, result.Detail, ct);
        return result.Succeeded
            ? decided
            : decided with { Outcome = DecisionOutcome.Failed, Reasons = [.. decided.Reasons, result.ReasonCode ?? ReasonCodes.ProviderRejected] };
    }

    private async Task<MessageDecided> RecordAsync(
        MessageIntent intent, Decision decision, Classification? classification, DateTimeOffset now, CancellationToken ct)
    {
        var record = new DecisionRecord(
            Guid.CreateVersion7(now),
            intent.TenantId,
            intent.IntentId,
            NullIfEmpty(intent.PatientId),
            NullIfEmpty(intent.Producer),
            intent.Channel,
            NullIfEmpty(intent.Category),
            intent.CampaignId,
            intent.DeclaredPurpose,
            decision.DetectedPurpose,
            decision.Outcome,
            decision.Reasons,
            [.. decision.Details, .. classification?.Signals.Select(s => "signal: " + s) ?? []],
            ContentHash.Compute(intent),
            decision.ConsentEventId,
            SendPolicy.Version,
            decision.DeferredUntil,
            now);

        var appended = await decisionLog.AppendAsync(record, ct);
        if (!appended.Inserted)
        {
            return Duplicate(intent, appended.Decision);
        }

        logger.LogInformation("Decided {IntentId} for tenant {TenantId}: {Outcome} ({Reasons})",
            record.IntentId, record.TenantId, record.Outcome, string.Join(',', record.Reasons));
        return ToEvent(record);
    }

    private MessageDecided Duplicate(MessageIntent intent, DecisionRecord existing)
    {
        logger.LogInformation("Duplicate intent {IntentId} for tenant {TenantId}; first decided {Outcome} as {DecisionId}",
            intent.IntentId, intent.TenantId, existing.Outcome, existing.DecisionId);
        return ToEvent(existing) with
        {
            Outcome = DecisionOutcome.Duplicate,
            Reasons = [ReasonCodes.DuplicateIntent],
            DecidedAt = clock.GetUtcNow(),
        };
    }

    private static MessageDecided ToEvent(DecisionRecord record) => new()
    {
        IntentId = record.IntentId,
        TenantId = record.TenantId,
        DecisionId = record.DecisionId,
        Outcome = record.Outcome,
        Reasons = record.Reasons,
        DetectedPurpose = record.DetectedPurpose,
        Channel = record.Channel,
        CampaignId = record.CampaignId,
        DecidedAt = record.DecidedAt,
    };

    /// <summary>An invalid intent without a usable id still gets exactly one decision, keyed on the transport message.</summary>
    internal static string SyntheticIntentId(string? transportMessageId, MessageIntent intent) =>
        "rejected:" + (transportMessageId ?? Convert.ToHexStringLower(ContentHash.Compute(intent))[..32]);

    internal static string SyntheticIntentId(string? transportMessageId, ReadOnlySpan<byte> body) =>
        "rejected:" + (transportMessageId ?? Convert.ToHexStringLower(SHA256.HashData(body))[..32]);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

using System.Security.Cryptography;
using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Validation;
using CommsGateway.Observability;
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
    DeferredIntents deferredIntents,
    Consent.DecisionContextQuery decisionContext,
    TimeProvider clock,
    ILogger<IntentPipeline> logger,
    GatewayMetrics metrics)
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

        var existing = await decisionLog.FindAsync(intent.TenantId, intent.IntentId, ct);
        if (existing is not null)
        {
            return Duplicate(intent, existing);
        }

        return (await DecideAndActAsync(intent, now, ct)).Decided
            ?? throw new InvalidOperationException("A first evaluation always records a decision");
    }

    /// <summary>
    /// Runs the policy again for an intent deferred earlier (consent may have changed meanwhile).
    /// Returns the new due time when it is still deferred (no new row), else records the final decision.
    /// </summary>
    public async Task<(MessageDecided? Decided, DateTimeOffset? DeferredUntil)> ReevaluateAsync(MessageIntent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return await DecideAndActAsync(intent, clock.GetUtcNow(), ct, reevaluation: true);
    }

    private async Task<(MessageDecided? Decided, DateTimeOffset? DeferredUntil)> DecideAndActAsync(
        MessageIntent intent, DateTimeOffset now, CancellationToken ct, bool reevaluation = false)
    {
        var started = GatewayMetrics.Start();
        var classification = classifier.Classify(intent);
        metrics.Classified(started);
        var input = await LoadPolicyInputAsync(intent, classification, now, ct);
        var decision = SendPolicy.Decide(input);
        if (reevaluation && decision.Outcome == DecisionOutcome.Deferred)
        {
            return (null, decision.DeferredUntil);
        }

        var decided = await RecordAsync(intent, decision, classification, now, ct);
        if (decided.Outcome == DecisionOutcome.Deferred)
        {
            await deferredIntents.ParkAsync(intent, decided.DecisionId, decision.DeferredUntil ?? now, ct);
            return (decided, null);
        }

        if (decided.Outcome == DecisionOutcome.Duplicate || !decision.ShouldSend)
        {
            return (decided, null);
        }

        return (await SendAsync(intent, decision, decided, ct), null);
    }

    /// <summary>Everything the policy needs besides the intent: contact point, consent, suppression, settings.</summary>
    private async Task<PolicyInput> LoadPolicyInputAsync(MessageIntent intent, Classification classification, DateTimeOffset now, CancellationToken ct)
    {
        // The recipient's facts (contact point, consent, suppression, settings) in one round trip.
        var context = await decisionContext.LoadAsync(intent.TenantId, intent.PatientId, intent.Channel,
            [.. intent.Media?.Select(m => m?.PicturedPatientId).OfType<string>() ?? []], now, intent.CampaignId, ct);
        return context.ApplyTo(new PolicyInput(intent, classification, now)) with { TenantKnown = context.TenantKnown };
    }

    private async Task<MessageDecided> SendAsync(MessageIntent intent, Decision decision, MessageDecided decided, CancellationToken ct)
    {
        _ = decision;
        var started = GatewayMetrics.Start();
        var result = await dispatcher.DispatchAsync(new OutboundMessage(decided.DecisionId, intent), ct);
        metrics.ProviderCalled(intent.Channel, started, result.Succeeded, result.ReasonCode);
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

        if (!await decisionLog.TryAppendAsync(record, ct))
        {
            var existing = await decisionLog.FindAsync(intent.TenantId, intent.IntentId, ct);
            return existing is null
                ? throw new InvalidOperationException($"Decision for {intent.IntentId} conflicted but cannot be read back")
                : Duplicate(intent, existing);
        }

        metrics.Decided(record.Outcome, record.Channel, record.Reasons);
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

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
    DispatchLog dispatches,
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

        var existing = await decisionLog.FindAsync(intent.TenantId, intent.IntentId, ct);
        if (existing is not null)
        {
            // A decision to send whose dispatch was never claimed (the process died between the two
            // writes): this redelivery finishes the job. Any other existing decision is a Duplicate.
            return existing.Outcome is DecisionOutcome.Sent or DecisionOutcome.SentWithMarketingRemoved
                ? await DispatchAsync(intent, ToEvent(existing), existing.DetectedPurpose, resumed: true, ct)
                : Duplicate(intent, existing);
        }

        var classification = classifier.Classify(intent);
        var decision = SendPolicy.Decide(new PolicyInput(intent, classification, now));
        var decided = await RecordAsync(intent, decision, classification, now, ct);
        if (decided.Outcome == DecisionOutcome.Duplicate || !decision.ShouldSend)
        {
            return decided;
        }

        return await DispatchAsync(intent, decided, decision.DetectedPurpose, resumed: false, ct);
    }

    /// <summary>
    /// Claim (dispatches row "dispatching", written BEFORE the provider call), call, complete. Only the
    /// claimant calls the provider, so N consumers or redeliveries never send one decision twice.
    /// </summary>
    private async Task<MessageDecided> DispatchAsync(MessageIntent intent, MessageDecided decided, Purpose detected, bool resumed, CancellationToken ct)
    {
        var message = ToOutbound(decided.DecisionId, intent, detected);
        if (!await dispatches.TryClaimAsync(decided.DecisionId, intent.TenantId, intent.IntentId, intent.Channel,
                ChannelDispatcher.ProviderFor(intent.Channel), ct))
        {
            logger.LogInformation("Duplicate intent {IntentId}: dispatch of {DecisionId} already claimed", intent.IntentId, decided.DecisionId);
            return decided with { Outcome = DecisionOutcome.Duplicate, Reasons = [ReasonCodes.DuplicateIntent], DecidedAt = clock.GetUtcNow() };
        }

        if (resumed)
        {
            logger.LogWarning("Resuming unclaimed dispatch of {IntentId} ({DecisionId})", intent.IntentId, decided.DecisionId);
        }

        // Not the consume token: a broker blip cancels it, and a claimed send abandoned mid-call could only be
        // settled as failed by the reconciler. The provider pipeline's total timeout bounds the call instead.
        var result = await dispatcher.DispatchAsync(message, CancellationToken.None);
        await dispatches.CompleteAsync(decided.DecisionId, result, CancellationToken.None);
        if (result.Succeeded)
        {
            return decided;
        }

        logger.LogWarning("Dispatch of {IntentId} failed: {Reason}", intent.IntentId, result.ReasonCode);
        return decided with { Outcome = DecisionOutcome.Failed, Reasons = [.. decided.Reasons, result.ReasonCode ?? ReasonCodes.ProviderRejected] };
    }

    /// <summary>
    /// What the patient receives. For now the intent's content as-is and its explicit address; the
    /// rendering work (unsubscribe footer and headers) and the contact directory replace this one method.
    /// </summary>
    internal static OutboundMessage ToOutbound(Guid decisionId, MessageIntent intent, Purpose detected) => new()
    {
        DecisionId = decisionId,
        IntentId = intent.IntentId,
        TenantId = intent.TenantId,
        Channel = intent.Channel,
        Purpose = detected,
        Category = NullIfEmpty(intent.Category),
        To = NullIfEmpty(intent.To),
        Subject = intent.Subject,
        Text = intent.Body,
        Html = intent.Html,
        Template = intent.Template,
    };

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

using System.Security.Cryptography;
using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Validation;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.Observability;
using CommsGateway.Providers;

namespace CommsGateway.Features.Intents;

/// <summary>
/// What happens to an intent: validate, classify, load the recipient's facts, decide (Core), render the
/// unsubscribe means, record ONE decision (the append also detects a duplicate), then, only when the
/// decision says so, claim the dispatch and send. The rules live in Core; this class only wires I/O.
/// </summary>
public sealed class IntentPipeline(
    DecisionLog decisionLog,
    ContentClassifier classifier,
    IMessageDispatcher dispatcher,
    DispatchLog dispatches,
    DeferredIntents deferredIntents,
    Consent.DecisionContextQuery decisionContext,
    MessageRendering rendering,
    TimeProvider clock,
    ILogger<IntentPipeline> logger,
    GatewayMetrics metrics,
    Microsoft.Extensions.Options.IOptions<Hosting.GatewayOptions> gateway)
{
    public async Task<MessageDecided> ProcessAsync(MessageIntent intent, string? transportMessageId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var now = clock.GetUtcNow();
        var errors = IntentValidator.Validate(intent, now, TimeSpan.FromDays(gateway.Value.NotBeforeHorizonDays));
        if (errors.Count > 0)
        {
            var keyed = intent with
            {
                IntentId = string.IsNullOrWhiteSpace(intent.IntentId) || intent.IntentId.Length > ChannelLimits.IdentifierLength
                    ? SyntheticIntentId(transportMessageId, intent)
                    : intent.IntentId,
                TenantId = intent.TenantId ?? "",
            };
            return (await RecordAsync(keyed, Decision.Rejected(errors), null, now, reevaluation: false, ct)).Decided;
        }

        // No lookup first: classification and policy are pure and cheap, and the append itself reports a
        // duplicate (any earlier decision of this IntentId) in the same round trip.
        return (await DecideAndActAsync(intent, now, reevaluation: false, ct)).Decided
            ?? throw new InvalidOperationException("A first evaluation always records a decision");
    }

    /// <summary>
    /// Runs the policy again for an intent deferred earlier (consent may have changed meanwhile).
    /// Returns the new due time when it is still deferred (no new row), else records the final decision.
    /// </summary>
    public async Task<(MessageDecided? Decided, DateTimeOffset? DeferredUntil)> ReevaluateAsync(MessageIntent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return await DecideAndActAsync(intent, clock.GetUtcNow(), reevaluation: true, ct);
    }

    private async Task<(MessageDecided? Decided, DateTimeOffset? DeferredUntil)> DecideAndActAsync(
        MessageIntent intent, DateTimeOffset now, bool reevaluation, CancellationToken ct)
    {
        var started = GatewayMetrics.Start();
        var classification = classifier.Classify(intent);
        metrics.Classified(started);
        var lap = PipelineProfile.Lap(PipelineProfile.Stage.Classify, started);
        var input = await LoadPolicyInputAsync(intent, classification, now, ct);
        lap = PipelineProfile.Lap(PipelineProfile.Stage.Context, lap);
        var decision = SendPolicy.Decide(input);
        if (reevaluation && decision.Outcome == DecisionOutcome.Deferred)
        {
            return (null, decision.DeferredUntil);
        }

        // Marketing gets its unsubscribe means before anything is recorded: a footer that does not fit blocks it.
        // A WhatsApp template shows its own text, not the footer: it must carry the link in a variable (Core decides).
        RenderedMessage? rendered = null;
        WhatsAppTemplate? template = null;
        if (decision.ShouldSend)
        {
            (decision, rendered, template) = await rendering.ApplyAsync(input, decision, preview: false, ct);
            lap = PipelineProfile.Lap(PipelineProfile.Stage.Render, lap);
        }

        var (decided, existing, claimed) = await RecordAsync(intent, decision, classification, now, reevaluation, ct);
        PipelineProfile.Lap(PipelineProfile.Stage.Record, lap);
        if (existing is not null)
        {
            // A decision to send whose dispatch was never claimed (written without its claim, by an earlier version
            // or a re-evaluation, and the process died before the claim): this redelivery finishes the job, with
            // content decided afresh. A claimed one fails to claim again: Duplicate, like anything else.
            return existing.Outcome is DecisionOutcome.Sent or DecisionOutcome.SentWithMarketingRemoved && decision.ShouldSend
                ? (await DispatchAsync(intent, input.Sender, ToEvent(existing), decision, rendered!, template, resumed: true, claimed: false), null)
                : (decided, null);
        }

        if (decided.Outcome == DecisionOutcome.Deferred)
        {
            await deferredIntents.ParkAsync(intent, decided.DecisionId, decision.DeferredUntil ?? now, ct);
            return (decided, null);
        }

        return decision.ShouldSend
            ? (await DispatchAsync(intent, input.Sender, decided, decision, rendered!, template, resumed: false, claimed), null)
            : (decided, null);
    }

    /// <summary>Everything the policy needs besides the intent: contact point, consent, suppression, settings.</summary>
    private async Task<PolicyInput> LoadPolicyInputAsync(MessageIntent intent, Classification classification, DateTimeOffset now, CancellationToken ct)
    {
        // The recipient's facts (contact point, consent, suppression, settings) in one round trip.
        var context = await decisionContext.LoadAsync(intent.TenantId, intent.PatientId, intent.Channel,
            [.. intent.Media?.Select(m => m?.PicturedPatientId).OfType<string>() ?? []], now, intent.CampaignId, ct);
        return context.ApplyTo(new PolicyInput(intent, classification, now)) with { TenantKnown = context.TenantKnown };
    }

    /// <summary>
    /// Claim (dispatches row "dispatching", written BEFORE the provider call), call, complete. Only the
    /// claimant calls the provider, so N consumers or redeliveries never send one decision twice.
    /// </summary>
    private async Task<MessageDecided> DispatchAsync(MessageIntent intent, ClinicSender sender, MessageDecided decided, Decision decision, RenderedMessage rendered,
        WhatsAppTemplate? template, bool resumed, bool claimed)
    {
        // Not the consume token: a broker blip cancels it, and a claimed send abandoned mid-call could only be
        // settled as failed by the reconciler. The provider pipeline's total timeout bounds the call instead.
        var ct = CancellationToken.None;
        var lap = PipelineProfile.Start();
        if (!claimed)
        {
            // The claim did not travel with the decision row (resumed, or re-evaluated): claim it on its own.
            claimed = await dispatches.TryClaimAsync(decided.DecisionId, intent.TenantId, intent.IntentId, intent.Channel,
                ChannelDispatcher.ProviderFor(intent.Channel), ct);
            lap = PipelineProfile.Lap(PipelineProfile.Stage.Claim, lap);
        }

        if (!claimed)
        {
            logger.LogInformation("Duplicate intent {IntentId}: dispatch of {DecisionId} already claimed", intent.IntentId, decided.DecisionId);
            return decided with { Outcome = DecisionOutcome.Duplicate, Reasons = [ReasonCodes.DuplicateIntent], DecidedAt = clock.GetUtcNow() };
        }

        if (resumed)
        {
            logger.LogWarning("Resuming unclaimed dispatch of {IntentId} ({DecisionId})", intent.IntentId, decided.DecisionId);
        }

        var started = GatewayMetrics.Start();
        var result = await dispatcher.DispatchAsync(ToOutbound(decided.DecisionId, intent, decision, rendered, template) with { Sender = sender }, ct);
        metrics.ProviderCalled(intent.Channel, started, result.Succeeded, result.ReasonCode);
        lap = PipelineProfile.Lap(PipelineProfile.Stage.Provider, started);
        await dispatches.CompleteAsync(decided.DecisionId, result, ct);
        PipelineProfile.Lap(PipelineProfile.Stage.Complete, lap);
        var final = result.Succeeded
            ? decided
            : decided with { Outcome = DecisionOutcome.Failed, Reasons = [.. decided.Reasons, result.ReasonCode ?? ReasonCodes.ProviderRejected] };
        // Counted once the provider answered: a refused send is Failed, not Sent (RecordAsync skips decisions to send).
        metrics.Decided(final.Outcome, intent.Channel, final.Reasons);
        if (!result.Succeeded)
        {
            logger.LogWarning("Dispatch of {IntentId} failed: {Reason}", intent.IntentId, result.ReasonCode);
        }

        return final;
    }

    /// <summary>What the patient receives: the rendered content, to the address on the patient's record.</summary>
    internal static OutboundMessage ToOutbound(Guid decisionId, MessageIntent intent, Decision decision, RenderedMessage rendered,
        WhatsAppTemplate? template) => new()
    {
        DecisionId = decisionId,
        IntentId = intent.IntentId,
        TenantId = intent.TenantId,
        Channel = intent.Channel,
        Purpose = decision.Content!.IsMarketing ? Purpose.Marketing : Purpose.Service,
        Category = NullIfEmpty(intent.Category),
        To = decision.Recipient,
        Subject = rendered.Subject,
        Text = rendered.Text,
        Html = rendered.Html,
        Headers = rendered.Headers,
        UnsubscribeUrl = rendered.UnsubscribeUrl,
        Template = template,
    };

    /// <summary>Appends the decision; when the intent already had one, returns a Duplicate event and that decision.</summary>
    private async Task<(MessageDecided Decided, DecisionRecord? Existing, bool Claimed)> RecordAsync(
        MessageIntent intent, Decision decision, Classification? classification, DateTimeOffset now, bool reevaluation, CancellationToken ct)
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
            // The policy's details already list the classifier's signals; a decision made before the policy ran has none.
            [.. decision.Details.Union(classification?.Signals.Select(s => "signal: " + s) ?? [], StringComparer.Ordinal)],
            ContentHash.Compute(intent),
            decision.ConsentEventId,
            SendPolicy.Version,
            decision.DeferredUntil,
            now);

        var claimed = false;
        if (reevaluation)
        {
            // The intent's Deferred row exists by design; only an earlier FINAL decision makes this a duplicate.
            if (!await decisionLog.TryAppendAsync(record, ct))
            {
                var existing = await decisionLog.FindAsync(intent.TenantId, intent.IntentId, ct)
                    ?? throw new InvalidOperationException($"Decision for {intent.IntentId} conflicted but cannot be read back");
                return (Duplicate(intent, existing), existing, false);
            }
        }
        else
        {
            // A decision to send claims its dispatch in the same transaction (see DecisionLog.AppendAsync).
            var appended = decision.ShouldSend
                ? await decisionLog.AppendAsync(record, ChannelDispatcher.ProviderFor(intent.Channel), ct)
                : await decisionLog.AppendAsync(record, ct);
            if (!appended.Inserted)
            {
                return (Duplicate(intent, appended.Decision), appended.Decision, false);
            }

            claimed = appended.Claimed;
        }

        if (!decision.ShouldSend)
        {
            metrics.Decided(record.Outcome, record.Channel, record.Reasons); // a decision to send is counted by DispatchAsync
        }

        logger.LogInformation("Decided {IntentId} for tenant {TenantId}: {Outcome} ({Reasons})",
            record.IntentId, record.TenantId, record.Outcome, string.Join(',', record.Reasons));
        return (ToEvent(record), null, claimed);
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

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
    DispatchRecovery recovery,
    DeferredIntents deferredIntents,
    Review.ReviewQueue reviewQueue,
    Consent.DecisionContextQuery decisionContext,
    MessageRendering rendering,
    TimeProvider clock,
    ILogger<IntentPipeline> logger,
    GatewayMetrics metrics,
    Microsoft.Extensions.Options.IOptions<Hosting.GatewayOptions> gateway)
{
    /// <param name="deliveryKey">The published message's own key (<see cref="DeliveryKey"/>): an invalid intent without a
    /// usable IntentId is decided under it, so every published message gets its own decision.</param>
    public async Task<MessageDecided> ProcessAsync(MessageIntent intent, string deliveryKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var now = clock.GetUtcNow();
        var errors = IntentValidator.Validate(intent, now, TimeSpan.FromDays(gateway.Value.NotBeforeHorizonDays));
        if (errors.Count > 0)
        {
            var keyed = intent with
            {
                IntentId = string.IsNullOrWhiteSpace(intent.IntentId) || intent.IntentId.Length > ChannelLimits.IdentifierLength
                    ? deliveryKey
                    : intent.IntentId,
                TenantId = intent.TenantId ?? "",
            };
            return (await RecordAsync(keyed, Decision.Rejected(errors), null, now, reevaluation: false, ct)).Decided;
        }

        // No lookup first: classification and policy are pure and cheap, and the append itself reports a
        // duplicate (any earlier decision of this IntentId) in the same round trip.
        return (await DecideAndActAsync(intent, now, Evaluation.First, ct)).Decided
            ?? throw new InvalidOperationException("A first evaluation always records a decision");
    }

    /// <summary>Why the pipeline runs: a new intent, a deferred one falling due, or a held one a person has settled.</summary>
    private enum Evaluation
    {
        First,
        Deferred,
        Reviewed,
    }

    /// <summary>
    /// Runs the policy again for an intent deferred earlier (consent may have changed meanwhile).
    /// Returns the new due time when it is still deferred (no new row), else records the final decision.
    /// </summary>
    public async Task<(MessageDecided? Decided, DateTimeOffset? DeferredUntil)> ReevaluateAsync(MessageIntent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return await DecideAndActAsync(intent, clock.GetUtcNow(), Evaluation.Deferred, ct);
    }

    /// <summary>
    /// Runs the whole pipeline again for a held intent a person has settled (the verdict is read from the review queue):
    /// consent read afresh, footer, dispatch claim, as for any intent. A deferral (quiet hours) is recorded and parked.
    /// </summary>
    public async Task<MessageDecided> DecideReviewedAsync(MessageIntent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return (await DecideAndActAsync(intent, clock.GetUtcNow(), Evaluation.Reviewed, ct)).Decided
            ?? throw new InvalidOperationException("A reviewed intent always gets a decision");
    }

    /// <summary>A held intent nobody reviewed in time: blocked, final.</summary>
    public async Task<MessageDecided> TimeOutReviewAsync(MessageIntent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var classification = classifier.Classify(intent);
        var decision = new Decision(DecisionOutcome.Blocked, [ReasonCodes.ReviewTimedOut], classification.Purpose)
        {
            Details = ["review: nobody settled the held intent before it expired"],
        };
        return (await RecordAsync(intent, decision, classification, clock.GetUtcNow(), reevaluation: true, ct)).Decided;
    }

    /// <summary>
    /// A held intent whose content can no longer be read (erased, or encrypted under a key since replaced): nothing can
    /// be sent, so it ends Blocked ReviewTimedOut, recorded from what its Held decision knew (same content hash).
    /// </summary>
    public async Task<MessageDecided> CloseUnreadableHeldAsync(string tenantId, string intentId, string why, CancellationToken ct)
    {
        var held = await decisionLog.FindAsync(tenantId, intentId, ct)
            ?? throw new InvalidOperationException($"Held intent {intentId} has no decision");
        if (held.Outcome != DecisionOutcome.Held)
        {
            return ToEvent(held); // already final
        }

        var now = clock.GetUtcNow();
        var record = held with
        {
            DecisionId = Guid.CreateVersion7(now),
            Outcome = DecisionOutcome.Blocked,
            Reasons = [ReasonCodes.ReviewTimedOut],
            Details = ["review: " + why],
            DeferredUntil = null,
            DecidedAt = now,
        };
        if (!await decisionLog.TryAppendAsync(record, ct))
        {
            var existing = await decisionLog.FindAsync(tenantId, intentId, ct) ?? held;
            return ToEvent(existing);
        }

        metrics.Decided(record.Outcome, record.Channel, record.Reasons);
        logger.LogWarning("Closed held intent {IntentId} for tenant {TenantId} without its content: {Why}", intentId, tenantId, why);
        return ToEvent(record);
    }

    private async Task<(MessageDecided? Decided, DateTimeOffset? DeferredUntil)> DecideAndActAsync(
        MessageIntent intent, DateTimeOffset now, Evaluation evaluation, CancellationToken ct)
    {
        var reevaluation = evaluation != Evaluation.First;
        var started = GatewayMetrics.Start();
        var classification = classifier.Classify(intent);
        metrics.Classified(started);
        var lap = PipelineProfile.Lap(PipelineProfile.Stage.Classify, started);
        var input = await LoadPolicyInputAsync(intent, classification, now, ct);
        if (classification.Verdict == ContentVerdict.Review)
        {
            // Only unsure content consults people's verdicts (this intent's review, else its template's).
            input = input with { Review = await reviewQueue.FindVerdictAsync(intent, ct) };
        }

        lap = PipelineProfile.Lap(PipelineProfile.Stage.Context, lap);
        var decision = SendPolicy.Decide(input);
        if (evaluation == Evaluation.Deferred && decision.Outcome == DecisionOutcome.Deferred)
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
            if (existing.Outcome == decision.Outcome
                && (existing.Outcome == DecisionOutcome.Held || (existing.Outcome == DecisionOutcome.Deferred && evaluation == Evaluation.Reviewed)))
            {
                // Held earlier but never parked (the process died in between: park it now, idempotently), or deferred
                // once before its review (its Deferred row stands for this wait too).
                await ParkAsync(intent, existing.DecisionId, decision, classification, now, ct);
                return (evaluation == Evaluation.Reviewed ? ToEvent(existing) : decided, null);
            }

            // A decision to send whose dispatch was never claimed (written without its claim, by an earlier version
            // or a re-evaluation, and the process died before the claim): this redelivery finishes the job, with
            // content decided afresh. A claimed one fails to claim again: Duplicate, like anything else.
            return existing.Outcome is DecisionOutcome.Sent or DecisionOutcome.SentWithMarketingRemoved && decision.ShouldSend
                ? (await DispatchAsync(intent, input.Sender, ToEvent(existing), decision, rendered!, template, resumed: true, claimed: false, ct), null)
                : (decided, null);
        }

        if (decided.Outcome is DecisionOutcome.Deferred or DecisionOutcome.Held)
        {
            await ParkAsync(intent, decided.DecisionId, decision, classification, now, ct);
            return (decided, null);
        }

        return decision.ShouldSend
            ? (await DispatchAsync(intent, input.Sender, decided, decision, rendered!, template, resumed: false, claimed, ct), null)
            : (decided, null);
    }

    private Task ParkAsync(MessageIntent intent, Guid decisionId, Decision decision, Classification classification, DateTimeOffset now, CancellationToken ct) =>
        decision.Outcome == DecisionOutcome.Held
            ? reviewQueue.HoldAsync(intent, decisionId, classification, now, ct)
            : deferredIntents.ParkAsync(intent, decisionId, decision.DeferredUntil ?? now, ct);

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
        WhatsAppTemplate? template, bool resumed, bool claimed, CancellationToken consumeToken)
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
            // Claimed before, by a consumer that may have crashed before or during its call: this redelivery holds the
            // only copy of the content, so it settles the claim (waiting while the call may still be running).
            var resumption = await recovery.ResumeAsync(decided.DecisionId, intent.TenantId, intent.IntentId, intent.Channel, consumeToken);
            if (resumption == ClaimResumption.ProviderHasIt)
            {
                metrics.Decided(decided.Outcome, intent.Channel, decided.Reasons); // the interrupted consumer never counted it
                return decided;
            }

            if (resumption != ClaimResumption.TakenOver)
            {
                logger.LogInformation("Duplicate intent {IntentId}: dispatch of {DecisionId} already claimed ({Resumption})",
                    intent.IntentId, decided.DecisionId, resumption);
                return decided with { Outcome = DecisionOutcome.Duplicate, Reasons = [ReasonCodes.DuplicateIntent], DecidedAt = clock.GetUtcNow() };
            }
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

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

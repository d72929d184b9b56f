using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Validation;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.Observability;
using CommsGateway.Providers;
using Npgsql;

namespace CommsGateway.Features.Intents;

/// <summary>
/// A published intent and its delivery key (<see cref="DeliveryKey"/>): an intent without a usable IntentId
/// (<see cref="IntentPipeline.HasUsableId"/>) is decided under it; otherwise it is not used.
/// </summary>
public sealed record IncomingIntent(MessageIntent Intent, string DeliveryKey);

/// <summary>
/// What happens to intents. Two paths:
/// <list type="bullet">
/// <item><b>First decisions</b>, a batch at a time (<see cref="DecideAsync"/>): validate, then decide the valid ones
/// (<see cref="IntentDecider"/>: one context read for the batch), append every decision with its dispatch claim in ONE
/// transaction (the append also finds duplicates), send the claimed messages concurrently
/// (<see cref="IMessageDispatcher.DispatchManyAsync"/>), settle them in one statement.</item>
/// <item><b>Re-evaluations</b> of one intent that already has a Deferred or Held decision: a deferral falling due
/// (<see cref="ReevaluateDeferredAsync"/>) or a review settled (<see cref="DecideReviewedAsync"/>); their final
/// decision follows the earlier row.</item>
/// </list>
/// The rules live in Core; this class only wires I/O.
/// </summary>
public sealed class IntentPipeline(
    DecisionLog decisionLog,
    IntentDecider decider,
    ContentClassifier classifier,
    IMessageDispatcher dispatcher,
    DispatchLog dispatches,
    DispatchRecovery recovery,
    DeferredIntents deferredIntents,
    Review.ReviewQueue reviewQueue,
    UnsubscribeLinks links,
    NpgsqlDataSource dataSource,
    TimeProvider clock,
    ILogger<IntentPipeline> logger,
    GatewayMetrics metrics,
    Microsoft.Extensions.Options.IOptions<Hosting.GatewayOptions> gateway)
{
    /// <summary>
    /// First decisions of a batch: one <see cref="MessageDecided"/> per intent, in the batch's order, each committed
    /// (and, for a decision to send, its provider's answer recorded) when this returns. An invalid intent is Rejected on
    /// its own; a database failure throws, nothing of the batch having been acked: the batch is retried and finds
    /// what it already decided (Duplicate), so every intent keeps exactly one decision.
    /// </summary>
    public async Task<IReadOnlyList<MessageDecided>> DecideAsync(IReadOnlyList<IncomingIntent> batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var now = clock.GetUtcNow();
        var decided = new DecidedIntent?[batch.Count];
        var rejected = new Decision?[batch.Count];
        var intents = new MessageIntent[batch.Count];
        using (var decide = IntentTelemetry.Source.StartActivity("intent.decide"))
        {
            decide?.SetTag("intent.count", batch.Count);
            var valid = new List<int>(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                var intent = batch[i].Intent;
                var errors = IntentValidator.Validate(intent, now, TimeSpan.FromDays(gateway.Value.NotBeforeHorizonDays));
                if (errors.Count == 0)
                {
                    intents[i] = intent;
                    valid.Add(i);
                    continue;
                }

                intents[i] = intent with
                {
                    IntentId = HasUsableId(intent) ? intent.IntentId : batch[i].DeliveryKey,
                    TenantId = intent.TenantId ?? "",
                };
                rejected[i] = Decision.Rejected(errors);
            }

            var decisions = await decider.DecideAsync([.. valid.Select(i => intents[i])], now, ct);
            for (var v = 0; v < valid.Count; v++)
            {
                decided[valid[v]] = decisions[v];
            }
        }

        // ONE transaction: every decision, the claims of the decisions to send, the references of their unsubscribe links.
        var rows = new (DecisionRecord Record, string? ClaimProvider)[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var decision = decided[i]?.Decision ?? rejected[i]!;
            rows[i] = (ToRecord(intents[i], decision, decided[i]?.Classification, now),
                decision.ShouldSend ? ChannelDispatcher.ProviderFor(intents[i].Channel) : null);
        }

        var subscribers = links.RecordSubscribersCommand(decided.OfType<DecidedIntent>().Where(d => d.NeedsSubscriberReference)
            .Select(d => (d.Intent.TenantId, d.Intent.PatientId)));
        var appended = await decisionLog.AppendBatchAsync(rows, subscribers is null ? [] : [subscribers], ct);

        var events = new MessageDecided[batch.Count];
        var sends = new List<int>();
        var resumed = new List<int>();
        for (var i = 0; i < batch.Count; i++)
        {
            var (record, _) = rows[i];
            var result = appended[i];
            var decision = record.Outcome;
            if (!result.Inserted)
            {
                events[i] = Duplicate(intents[i], result.Decision);
                if (result.Decision.Outcome == DecisionOutcome.Held && decision == DecisionOutcome.Held)
                {
                    // Held earlier but never parked (the process died in between): park it now, idempotently.
                    await ParkAsync(decided[i]!, result.Decision.DecisionId, now, ct);
                }
                else if (result.Decision.Outcome is DecisionOutcome.Sent or DecisionOutcome.SentWithMarketingRemoved && decided[i]?.Decision.ShouldSend == true)
                {
                    // A decision to send whose dispatch may never have been claimed or settled: this redelivery finishes
                    // the job, with content decided afresh (below, the batch's together).
                    resumed.Add(i);
                }

                continue;
            }

            events[i] = ToEvent(record);
            Log(record);
            if (decision is DecisionOutcome.Deferred or DecisionOutcome.Held)
            {
                await ParkAsync(decided[i]!, record.DecisionId, now, ct);
            }

            if (record.Outcome is DecisionOutcome.Sent or DecisionOutcome.SentWithMarketingRemoved)
            {
                sends.Add(i);
            }
            else
            {
                metrics.Decided(record.Outcome, record.Channel, record.Reasons); // a decision to send is counted once the provider answered
            }
        }

        await Task.WhenAll(SendClaimedAsync(sends, decided, events), ResumeClaimsAsync(resumed, decided, appended, events, ct));
        return events;
    }

    /// <summary>
    /// Redelivered decisions to send (the batch's duplicates whose dispatch may be unsettled), together: the unclaimed
    /// ones claimed in one round trip, the claimed ones resumed concurrently (<see cref="DispatchRecovery"/>), and those
    /// this process now holds sent and settled like the batch's own sends. Only the claimant calls the provider.
    /// </summary>
    private async Task ResumeClaimsAsync(List<int> resumed, DecidedIntent?[] decided, IReadOnlyList<AppendResult> appended, MessageDecided[] events,
        CancellationToken consumeToken)
    {
        // The same decision redelivered twice in one batch: its first copy resumes it, the others stay Duplicate.
        resumed = [.. resumed.DistinctBy(i => appended[i].Decision.DecisionId)];
        if (resumed.Count == 0)
        {
            return;
        }

        var claimed = await dispatches.TryClaimManyAsync([.. resumed.Select(i => (appended[i].Decision.DecisionId, decided[i]!.Intent.TenantId,
            decided[i]!.Intent.IntentId, decided[i]!.Intent.Channel, ChannelDispatcher.ProviderFor(decided[i]!.Intent.Channel)))], CancellationToken.None);
        var resumptions = await Task.WhenAll(resumed.Where(i => !claimed.Contains(appended[i].Decision.DecisionId)).Select(async i =>
        {
            var intent = decided[i]!.Intent;
            return (Index: i, Resumption: await recovery.ResumeAsync(appended[i].Decision.DecisionId, intent.TenantId, intent.IntentId, intent.Channel, consumeToken));
        }));
        var sends = new List<int>();
        foreach (var i in resumed.Where(i => claimed.Contains(appended[i].Decision.DecisionId)))
        {
            IntentLog.ResumingUnclaimed(logger, decided[i]!.Intent.IntentId, appended[i].Decision.DecisionId);
            events[i] = ToEvent(appended[i].Decision);
            sends.Add(i);
        }

        foreach (var (i, resumption) in resumptions)
        {
            var existing = ToEvent(appended[i].Decision);
            switch (resumption)
            {
                case ClaimResumption.TakenOver:
                    events[i] = existing;
                    sends.Add(i);
                    break;
                case ClaimResumption.ProviderHasIt:
                    metrics.Decided(existing.Outcome, existing.Channel, existing.Reasons); // the interrupted consumer never counted it
                    events[i] = existing;
                    break;
                default:
                    IntentLog.DispatchAlreadyClaimed(logger, existing.IntentId, existing.DecisionId, resumption);
                    break; // stays the Duplicate it was answered as
            }
        }

        await SendClaimedAsync(sends, decided, events);
    }

    /// <summary>
    /// The batch's new decisions to send, claimed with them: sent concurrently within the dispatcher's bound, then
    /// settled in one statement. Not the consume token: a broker blip cancels it, and a claimed send abandoned mid-call
    /// could only be settled as failed by the reconciler; the provider pipeline's total timeout bounds the calls.
    /// </summary>
    private async Task SendClaimedAsync(List<int> sends, DecidedIntent?[] decided, MessageDecided[] events)
    {
        if (sends.Count == 0)
        {
            return;
        }

        IReadOnlyList<DispatchResult> results;
        using (var activity = IntentTelemetry.Source.StartActivity("intent.dispatch"))
        {
            activity?.SetTag("dispatch.count", sends.Count);
            var started = GatewayMetrics.Start();
            results = await dispatcher.DispatchManyAsync([.. sends.Select(i => ToOutbound(events[i].DecisionId, decided[i]!))], CancellationToken.None);
            for (var s = 0; s < sends.Count; s++)
            {
                metrics.ProviderCalled(events[sends[s]].Channel, started, results[s].Succeeded, results[s].ReasonCode);
            }
        }

        using (var activity = IntentTelemetry.Source.StartActivity("intent.complete"))
        {
            activity?.SetTag("dispatch.count", sends.Count);
            await dispatches.CompleteManyAsync([.. sends.Select((i, s) => (events[i].DecisionId, results[s]))], CancellationToken.None);
        }

        for (var s = 0; s < sends.Count; s++)
        {
            var i = sends[s];
            events[i] = Settled(events[i], results[s]);
        }
    }

    /// <summary>
    /// A deferred intent falling due: decided again (consent may have changed meanwhile). Still deferred: the new due
    /// time, nothing recorded. Otherwise its final decision is recorded and acted on.
    /// </summary>
    public async Task<(MessageDecided? Decided, DateTimeOffset? DeferredUntil)> ReevaluateDeferredAsync(MessageIntent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var now = clock.GetUtcNow();
        var decided = await decider.DecideAsync(intent, now, ct);
        return decided.Decision.Outcome == DecisionOutcome.Deferred
            ? (null, decided.Decision.DeferredUntil)
            : (await RecordReevaluationAsync(decided, now, ct), null);
    }

    /// <summary>
    /// A held intent a person has settled (the verdict is read from the review queue): decided again, consent read
    /// afresh, footer, dispatch claim, as any intent. A deferral (quiet hours) is recorded and parked.
    /// </summary>
    public async Task<MessageDecided> DecideReviewedAsync(MessageIntent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var now = clock.GetUtcNow();
        return await RecordReevaluationAsync(await decider.DecideAsync(intent, now, ct), now, ct);
    }

    /// <summary>A held intent nobody reviewed in time: blocked, final.</summary>
    public async Task<MessageDecided> TimeOutReviewAsync(MessageIntent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var now = clock.GetUtcNow();
        var classification = classifier.Classify(intent);
        var decision = new Decision(DecisionOutcome.Blocked, [ReasonCodes.ReviewTimedOut], classification.Purpose)
        {
            Details = ["review: nobody settled the held intent before it expired"],
        };
        var record = ToRecord(intent, decision, classification, now);
        if (!await decisionLog.TryAppendAsync(record, ct))
        {
            return Duplicate(intent, await ExistingAsync(intent, ct));
        }

        metrics.Decided(record.Outcome, record.Channel, record.Reasons);
        Log(record);
        return ToEvent(record);
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
        IntentLog.ClosedHeld(logger, intentId, tenantId, why);
        return ToEvent(record);
    }

    /// <summary>
    /// Records a re-evaluated intent's decision after its earlier Deferred or Held row (only an earlier row of the same
    /// kind, or a final one, makes it a duplicate), then parks or sends it.
    /// </summary>
    private async Task<MessageDecided> RecordReevaluationAsync(DecidedIntent decided, DateTimeOffset now, CancellationToken ct)
    {
        var intent = decided.Intent;
        var decision = decided.Decision;
        if (decided.NeedsSubscriberReference
            && links.RecordSubscribersCommand([(intent.TenantId, intent.PatientId)]) is { } subscribers)
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var batch = new NpgsqlBatch(connection) { BatchCommands = { subscribers } };
            await batch.ExecuteNonQueryAsync(ct);
        }

        var record = ToRecord(intent, decision, decided.Classification, now);
        if (!await decisionLog.TryAppendAsync(record, ct))
        {
            var existing = await ExistingAsync(intent, ct);
            if (existing.Outcome == decision.Outcome && existing.Outcome is DecisionOutcome.Held or DecisionOutcome.Deferred)
            {
                // Still waiting, as decided before (its row stands for this wait too); parked again, idempotently.
                await ParkAsync(decided, existing.DecisionId, now, ct);
                return ToEvent(existing);
            }

            return existing.Outcome is DecisionOutcome.Sent or DecisionOutcome.SentWithMarketingRemoved && decision.ShouldSend
                ? await DispatchOneAsync(decided, ToEvent(existing), resumed: true, ct)
                : Duplicate(intent, existing);
        }

        Log(record);
        if (decision.Outcome is DecisionOutcome.Deferred or DecisionOutcome.Held)
        {
            await ParkAsync(decided, record.DecisionId, now, ct);
        }

        if (decision.ShouldSend)
        {
            return await DispatchOneAsync(decided, ToEvent(record), resumed: false, ct);
        }

        metrics.Decided(record.Outcome, record.Channel, record.Reasons);
        return ToEvent(record);
    }

    private async Task<DecisionRecord> ExistingAsync(MessageIntent intent, CancellationToken ct) =>
        await decisionLog.FindAsync(intent.TenantId, intent.IntentId, ct)
        ?? throw new InvalidOperationException($"Decision for {intent.IntentId} conflicted but cannot be read back");

    private Task ParkAsync(DecidedIntent decided, Guid decisionId, DateTimeOffset now, CancellationToken ct) =>
        decided.Decision.Outcome == DecisionOutcome.Held
            ? reviewQueue.HoldAsync(decided.Intent, decisionId, decided.Classification!, now, ct)
            : deferredIntents.ParkAsync(decided.Intent, decisionId, decided.Decision.DeferredUntil ?? now, ct);

    /// <summary>
    /// One dispatch outside a batch's claims: a re-evaluated decision (claimed here), or a redelivery of a decision to
    /// send (resumed). Only the claimant calls the provider, so N consumers or redeliveries never send one decision twice.
    /// </summary>
    private async Task<MessageDecided> DispatchOneAsync(DecidedIntent decidedIntent, MessageDecided decided, bool resumed,
        CancellationToken consumeToken)
    {
        var intent = decidedIntent.Intent;
        var ct = CancellationToken.None; // as in SendClaimedAsync
        var claimed = await dispatches.TryClaimAsync(decided.DecisionId, intent.TenantId, intent.IntentId, intent.Channel,
            ChannelDispatcher.ProviderFor(intent.Channel), ct);
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
                IntentLog.DispatchAlreadyClaimed(logger, intent.IntentId, decided.DecisionId, resumption);
                return decided with { Outcome = DecisionOutcome.Duplicate, Reasons = [ReasonCodes.DuplicateIntent], DecidedAt = clock.GetUtcNow() };
            }
        }

        if (resumed)
        {
            IntentLog.ResumingUnclaimed(logger, intent.IntentId, decided.DecisionId);
        }

        var started = GatewayMetrics.Start();
        var result = await dispatcher.DispatchAsync(ToOutbound(decided.DecisionId, decidedIntent), ct);
        metrics.ProviderCalled(intent.Channel, started, result.Succeeded, result.ReasonCode);
        await dispatches.CompleteAsync(decided.DecisionId, result, ct);
        return Settled(decided, result);
    }

    /// <summary>A decision to send, once its provider answered: a refused send is Failed, not Sent; counted now.</summary>
    private MessageDecided Settled(MessageDecided decided, DispatchResult result)
    {
        var final = result.Succeeded
            ? decided
            : decided with { Outcome = DecisionOutcome.Failed, Reasons = [.. decided.Reasons, result.ReasonCode ?? ReasonCodes.ProviderRejected] };
        metrics.Decided(final.Outcome, final.Channel, final.Reasons);
        if (!result.Succeeded)
        {
            IntentLog.DispatchFailed(logger, decided.IntentId, result.ReasonCode);
        }

        return final;
    }

    private static OutboundMessage ToOutbound(Guid decisionId, DecidedIntent decided) =>
        ToOutbound(decisionId, decided.Intent, decided.Decision, decided.Rendered!, decided.Template) with { Sender = decided.Input.Sender };

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
        CampaignId = NullIfEmpty(intent.CampaignId),
        To = decision.Recipient,
        Subject = rendered.Subject,
        Text = rendered.Text,
        Html = rendered.Html,
        Headers = rendered.Headers,
        UnsubscribeUrl = rendered.UnsubscribeUrl,
        Template = template,
    };

    private static DecisionRecord ToRecord(MessageIntent intent, Decision decision, Classification? classification, DateTimeOffset now) => new(
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

    private void Log(DecisionRecord record) => IntentLog.Decided(logger, record);

    private MessageDecided Duplicate(MessageIntent intent, DecisionRecord existing)
    {
        // A redelivery carries the content decided; other content under the same id is a producer's reused id, and that
        // message is lost to it unless it is told so.
        var reused = existing.ContentSha256 is { } decidedContent && !ContentHash.Compute(intent).AsSpan().SequenceEqual(decidedContent);
        if (reused)
        {
            IntentLog.IdReused(logger, intent.IntentId, intent.TenantId, existing.Outcome, existing.DecisionId);
        }
        else
        {
            IntentLog.Duplicate(logger, intent.IntentId, intent.TenantId, existing.Outcome, existing.DecisionId);
        }

        return ToEvent(existing) with
        {
            Outcome = DecisionOutcome.Duplicate,
            Reasons = reused ? [ReasonCodes.DuplicateIntent, ReasonCodes.IntentIdReused] : [ReasonCodes.DuplicateIntent],
            DecidedAt = clock.GetUtcNow(),
        };
    }

    private static MessageDecided ToEvent(DecisionRecord record) => record.ToEvent();

    /// <summary>An IntentId the decision can be recorded under (present, and short enough for its column).</summary>
    internal static bool HasUsableId(MessageIntent intent) =>
        !string.IsNullOrWhiteSpace(intent.IntentId) && intent.IntentId.Length <= ChannelLimits.IdentifierLength;

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Rendering;
using CommsGateway.Features.Unsubscribe;

namespace CommsGateway.Features.Intents;

/// <summary>
/// One intent, decided and not yet recorded: its classification, what the policy saw, the decision after Core's last
/// checks, and, for a decision to send, the message as it goes out and its WhatsApp template.
/// </summary>
public sealed record DecidedIntent(
    MessageIntent Intent,
    Classification? Classification,
    PolicyInput Input,
    Decision Decision,
    RenderedMessage? Rendered,
    WhatsAppTemplate? Template)
{
    /// <summary>Marketing that goes out with an unsubscribe link: its subscriber reference must be recorded before it is sent.</summary>
    public bool NeedsSubscriberReference => Decision.ShouldSend && Rendered?.UnsubscribeUrl is not null;
}

/// <summary>
/// Decides valid intents without writing anything: classify each (pure), read every recipient's facts in ONE query
/// (<see cref="DecisionContextQuery.LoadManyAsync"/>), consult people's verdicts for unsure content, run
/// <see cref="SendPolicy.Decide"/>, and, for a decision to send, render the message with its unsubscribe link (minted,
/// not yet recorded: the caller records the references with the decisions) and let Core finish the decision
/// (<see cref="SendPolicy.Finish"/>: WhatsApp window, footer fit, template link). The gateway's first decisions, its
/// re-evaluations and the campaign preview all decide through here, so a preview announces what the gateway decides.
/// </summary>
public sealed class IntentDecider(
    ContentClassifier classifier,
    DecisionContextQuery contexts,
    Review.ReviewQueue reviewQueue,
    UnsubscribeLinks links,
    Observability.GatewayMetrics? metrics = null)
{
    public async Task<DecidedIntent> DecideAsync(MessageIntent intent, DateTimeOffset now, CancellationToken ct) =>
        (await DecideAsync([intent], now, ct))[0];

    /// <summary>The decisions of <paramref name="intents"/> (validated already), in their order.</summary>
    public async Task<IReadOnlyList<DecidedIntent>> DecideAsync(IReadOnlyList<MessageIntent> intents, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intents);
        if (intents.Count == 0)
        {
            return [];
        }

        var classifications = new Classification?[intents.Count];
        var decided = new DecidedIntent[intents.Count];
        for (var i = 0; i < intents.Count; i++)
        {
            try
            {
                var started = Observability.GatewayMetrics.Start();
                classifications[i] = classifier.Classify(intents[i]);
                metrics?.Classified(started); // the CLI's campaign preview has no metrics
            }
            catch (Exception ex) when (IsOwnFault(ex))
            {
                decided[i] = Unprocessable(intents[i], now, ex);
            }
        }

        var facts = await contexts.LoadManyAsync([.. intents.Select(ContextKey.Of)], now, ct);
        for (var i = 0; i < intents.Count; i++)
        {
            if (classifications[i] is not { } classification)
            {
                continue;
            }

            try
            {
                decided[i] = await DecideAsync(intents[i], classification, facts[i], now, ct);
            }
            catch (Exception ex) when (IsOwnFault(ex))
            {
                decided[i] = Unprocessable(intents[i], now, ex);
            }
        }

        return decided;
    }

    private async Task<DecidedIntent> DecideAsync(MessageIntent intent, Classification classification, DecisionContext facts, DateTimeOffset now,
        CancellationToken ct)
    {
        var input = facts.ApplyTo(new PolicyInput(intent, classification, now)) with { TenantKnown = facts.TenantKnown };
        if (classification.Verdict == ContentVerdict.Review)
        {
            // Only unsure content consults people's verdicts (this intent's review, else its template's): rare.
            input = input with { Review = await reviewQueue.FindVerdictAsync(intent, ct) };
        }

        var decision = SendPolicy.Decide(input);
        if (!decision.ShouldSend)
        {
            return new DecidedIntent(intent, classification, input, decision, null, null);
        }

        // Marketing gets its unsubscribe means before anything is recorded: Core then decides whether it can go.
        var rendered = await links.PreviewAsync(intent, decision.Content!, input.Contact?.Locale, ct);
        var finished = SendPolicy.Finish(input, decision, rendered);
        return new DecidedIntent(intent, classification, input, finished.Decision, rendered, finished.Template);
    }

    /// <summary>
    /// A fault of this intent alone (its content trips the classifier or the policy), not of the database or the bus:
    /// it must not fail its batch, whose retry would fail the same way.
    /// </summary>
    private static bool IsOwnFault(Exception ex) =>
        ex is not (System.Data.Common.DbException or OperationCanceledException or TimeoutException or IOException or System.Net.Sockets.SocketException);

    private static DecidedIntent Unprocessable(MessageIntent intent, DateTimeOffset now, Exception ex) => new(intent, null, new PolicyInput(intent,
        new Classification(Purpose.Unknown, 0, []), now), new Decision(DecisionOutcome.Failed, [ReasonCodes.ProcessingFailed], Purpose.Unknown)
        {
            Details = [$"processing fault: {ex.GetType().Name}"],
        }, null, null);
}

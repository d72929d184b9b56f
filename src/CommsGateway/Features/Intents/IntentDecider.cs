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
    Classification Classification,
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
    UnsubscribeLinks links)
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

        var classifications = new Classification[intents.Count];
        for (var i = 0; i < intents.Count; i++)
        {
            classifications[i] = classifier.Classify(intents[i]);
        }

        var facts = await contexts.LoadManyAsync([.. intents.Select(ContextKey.Of)], now, ct);
        var decided = new DecidedIntent[intents.Count];
        for (var i = 0; i < intents.Count; i++)
        {
            var intent = intents[i];
            var input = facts[i].ApplyTo(new PolicyInput(intent, classifications[i], now)) with { TenantKnown = facts[i].TenantKnown };
            if (classifications[i].Verdict == ContentVerdict.Review)
            {
                // Only unsure content consults people's verdicts (this intent's review, else its template's): rare.
                input = input with { Review = await reviewQueue.FindVerdictAsync(intent, ct) };
            }

            var decision = SendPolicy.Decide(input);
            if (!decision.ShouldSend)
            {
                decided[i] = new DecidedIntent(intent, classifications[i], input, decision, null, null);
                continue;
            }

            // Marketing gets its unsubscribe means before anything is recorded: Core then decides whether it can go.
            var rendered = await links.PreviewAsync(intent, decision.Content!, input.Contact?.Locale, ct);
            var finished = SendPolicy.Finish(input, decision, rendered);
            decided[i] = new DecidedIntent(intent, classifications[i], input, finished.Decision, rendered, finished.Template);
        }

        return decided;
    }
}

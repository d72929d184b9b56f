using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Policy;
using FsCheck;
using FsCheck.Fluent;
using Cls = CommsGateway.Core.Classification.Classification;

namespace CommsGateway.Core.Tests.Policy;

/// <summary>Invariants that must hold for every input, not just the table's examples.</summary>
public sealed class SendPolicyProperties
{
    private static readonly Gen<Channel> Channels = Gen.Elements(Channel.Email, Channel.Sms, Channel.WhatsApp);
    private static readonly Gen<Purpose> Purposes = Gen.Elements(Purpose.Service, Purpose.Marketing, Purpose.Unknown);

    private static readonly Gen<ConsentState> States =
        from id in Gen.Choose(1, 1000)
        from purpose in Gen.Elements(ConsentPurpose.Marketing, ConsentPurpose.Service)
        from channel in Channels
        from granted in Gen.Elements(true, false)
        from daysAgo in Gen.Choose(0, 2000)
        select new ConsentState(id, purpose, channel, null, granted, PolicyScenario.Tuesday11.AddDays(-daysAgo));

    private static readonly Gen<PolicyInput> Inputs =
        from channel in Channels
        from declared in Purposes
        from detected in Gen.Elements(Purpose.Service, Purpose.Marketing)
        from remainder in Gen.Elements<Purpose?>(null, Purpose.Service, Purpose.Marketing)
        from states in Gen.ListOf(States)
        from hoursOffset in Gen.Choose(-24 * 14, 24 * 14)
        from suppressed in Gen.Elements(false, false, true)
        from sent7 in Gen.Choose(0, 5)
        from hasBlocks in Gen.Elements(true, false)
        from hasContact in Gen.Elements(true, true, true, false)
        select new PolicyInput(
            PolicyScenario.Intent(channel, declared) with
            {
                Blocks = hasBlocks ? [new ContentBlock { Kind = Purpose.Marketing, Text = "-20% ce mois-ci" }] : null,
            },
            new Cls(detected, detected == Purpose.Marketing ? 0.9 : 0.1, []) { MarketingInText = remainder == Purpose.Marketing },
            PolicyScenario.Tuesday11.AddHours(hoursOffset))
        {
            Contact = hasContact ? PolicyScenario.Patient with { WhatsApp = "+33612345678" } : null,
            Consent = new ConsentSnapshot(Latest(states)),
            AddressSuppressed = suppressed,
            MarketingSentLast7Days = sent7,
            Sender = PolicyScenario.Sender,
        };

    /// <summary>A snapshot holds one state per (purpose, channel): the latest, as the ledger derives it.</summary>
    private static List<ConsentState> Latest(IEnumerable<ConsentState> states) =>
        states.GroupBy(s => (s.Purpose, s.Channel))
            .Select(g => g.OrderByDescending(s => s.OccurredAt).ThenByDescending(s => s.EventId).First())
            .ToList();

    private static bool HasLiveMarketingGrant(PolicyInput input)
    {
        var grant = input.Consent.Find(ConsentPurpose.Marketing, input.Intent.Channel);
        return grant is { Granted: true }
               && !ConsentLapse.IsLapsed(grant, input.Contact?.LastInteractionAt, input.Settings.ConsentLapseMonths, input.Now);
    }

    [Fact]
    public void Marketing_content_is_never_sent_without_a_live_grant() =>
        Prop.ForAll(Inputs.ToArbitrary(), input =>
        {
            var decision = SendPolicy.Decide(input);
            return !(decision.ShouldSend && decision.Content!.IsMarketing) || HasLiveMarketingGrant(input);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_withdrawn_marketing_consent_always_blocks_marketing() =>
        Prop.ForAll(Inputs.ToArbitrary(), input =>
        {
            var withdrawn = input with
            {
                Consent = new ConsentSnapshot(
                [
                    .. input.Consent.States.Where(s => !(s.Purpose == ConsentPurpose.Marketing && s.Channel == input.Intent.Channel)),
                    new ConsentState(9999, ConsentPurpose.Marketing, input.Intent.Channel, null, false, input.Now.AddSeconds(-1)),
                ]),
            };
            var decision = SendPolicy.Decide(withdrawn);
            return decision.Content is not { IsMarketing: true } && decision.Outcome != DecisionOutcome.Sent || input.Classification.Purpose == Purpose.Service;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void The_same_input_gives_the_same_decision() =>
        Prop.ForAll(Inputs.ToArbitrary(), input =>
        {
            var first = SendPolicy.Decide(input);
            var second = SendPolicy.Decide(input with { });
            return first.Outcome == second.Outcome
                   && first.Reasons.SequenceEqual(second.Reasons)
                   && first.DeferredUntil == second.DeferredUntil
                   && first.ConsentEventId == second.ConsentEventId;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_blocked_or_deferred_decision_carries_no_content() =>
        Prop.ForAll(Inputs.ToArbitrary(), input =>
        {
            var decision = SendPolicy.Decide(input);
            return decision.ShouldSend == decision.Content is not null && decision.Reasons.Count > 0;
        }).QuickCheckThrowOnFailure();
}

using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Policy;
using static CommsGateway.Core.Tests.Policy.PolicyScenario;

namespace CommsGateway.Core.Tests.Policy;

/// <summary>Unsure content is held; a person's verdict decides its purpose, and only for unsure content.</summary>
public sealed class ReviewVerdictPolicyTests
{
    private static readonly CommsGateway.Core.Classification.Classification Unsure =
        new(Purpose.Marketing, 0.6, ["booking-invitation@body: \"book\""]) { Verdict = ContentVerdict.Review, Probability = 0.6 };

    private static ReviewVerdict Verdict(Purpose purpose, string reason) => new(purpose, reason, ["review: held h-1 reviewed by dr.martin"]);

    [Fact]
    public void Unsure_content_without_a_verdict_is_held_with_signals_and_probability()
    {
        var decision = SendPolicy.Decide(Input(Intent(), Unsure));
        Assert.Equal(DecisionOutcome.Held, decision.Outcome);
        Assert.Equal([ReasonCodes.ClassificationUncertain], decision.Reasons);
        Assert.False(decision.ShouldSend);
        Assert.Contains("signal: booking-invitation@body: \"book\"", decision.Details);
        Assert.Contains("probability: 0.6", decision.Details);
    }

    [Fact]
    public void Reviewed_as_service_is_sent_as_service_citing_the_review()
    {
        var decision = SendPolicy.Decide(Input(Intent(), Unsure) with { Review = Verdict(Purpose.Service, ReasonCodes.ReviewedAsService) });
        Assert.Equal(DecisionOutcome.Sent, decision.Outcome);
        Assert.Equal(Purpose.Service, decision.DetectedPurpose);
        Assert.Equal([ReasonCodes.ReviewedAsService, ReasonCodes.ServiceMessage], decision.Reasons);
        Assert.False(decision.Content!.IsMarketing);
        Assert.Contains("review: held h-1 reviewed by dr.martin", decision.Details);
    }

    [Fact]
    public void Reviewed_as_marketing_needs_consent_like_any_marketing()
    {
        var blocked = SendPolicy.Decide(Input(Intent(declared: Purpose.Marketing), Unsure) with { Review = Verdict(Purpose.Marketing, ReasonCodes.ReviewedAsMarketing) });
        Assert.Equal(DecisionOutcome.Blocked, blocked.Outcome);
        Assert.Equal([ReasonCodes.ReviewedAsMarketing, ReasonCodes.NoMarketingConsent], blocked.Reasons);

        var sent = SendPolicy.Decide(Input(Intent(declared: Purpose.Marketing), Unsure, Grant(ConsentPurpose.Marketing, Channel.Sms))
            with { Review = Verdict(Purpose.Marketing, ReasonCodes.TemplateVerdict) });
        Assert.Equal(DecisionOutcome.Sent, sent.Outcome);
        Assert.True(sent.Content!.IsMarketing);
        Assert.Equal([ReasonCodes.TemplateVerdict, ReasonCodes.MarketingConsentGranted], sent.Reasons);
    }

    [Fact]
    public void Reviewed_marketing_still_waits_for_quiet_hours()
    {
        var decision = SendPolicy.Decide(Input(Intent(declared: Purpose.Marketing), Unsure, Grant(ConsentPurpose.Marketing, Channel.Sms))
            with { Now = Tuesday11.AddDays(5), Review = Verdict(Purpose.Marketing, ReasonCodes.ReviewedAsMarketing) });
        Assert.Equal(DecisionOutcome.Deferred, decision.Outcome);
        Assert.Equal([ReasonCodes.ReviewedAsMarketing, ReasonCodes.QuietHours], decision.Reasons);
    }

    [Fact]
    public void A_verdict_never_turns_confident_marketing_into_service()
    {
        var decision = SendPolicy.Decide(Input(Intent(), Marketing) with { Review = Verdict(Purpose.Service, ReasonCodes.TemplateVerdict) });
        Assert.Equal(DecisionOutcome.Blocked, decision.Outcome);
        Assert.Equal(Purpose.Marketing, decision.DetectedPurpose);
        Assert.DoesNotContain(ReasonCodes.TemplateVerdict, decision.Reasons);
    }

    [Fact]
    public void Purpose_independent_blocks_come_before_the_hold()
    {
        var decision = SendPolicy.Decide(Input(Intent(), Unsure) with { Contact = null });
        Assert.Equal(DecisionOutcome.Blocked, decision.Outcome);
        Assert.Equal([ReasonCodes.NoContactPoint], decision.Reasons);
    }
}

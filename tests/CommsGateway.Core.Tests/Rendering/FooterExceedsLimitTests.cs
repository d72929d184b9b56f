using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;
using static CommsGateway.Core.Tests.Policy.PolicyScenario;

namespace CommsGateway.Core.Tests.Rendering;

/// <summary>
/// The last rule (SendPolicy.WithRendering): marketing whose unsubscribe footer would push it past its channel's
/// limit is blocked with FooterExceedsLimit, never sent without a way out nor truncated.
/// </summary>
public sealed class FooterExceedsLimitTests
{
    private static readonly Uri Link = new("https://gw.example.fr/u/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0BBQkM");

    /// <summary>1,500 GSM-7 characters: 10 segments alone (the cap), 11 once the ~150-character footer is added.</summary>
    private static readonly string BodyThatFitsAlone = "Offre -20% sur les peelings. " + new string('a', 1_500 - 29);

    private static (Decision Decided, RenderedMessage Rendered) DecideAndRender(string body, Channel channel = Channel.Sms)
    {
        var intent = Intent(channel, Purpose.Marketing) with { Body = body };
        var decision = SendPolicy.Decide(Input(intent, Marketing, Grant(ConsentPurpose.Marketing, channel)));
        Assert.Equal(DecisionOutcome.Sent, decision.Outcome);
        var rendered = MessageRenderer.Render(new RenderRequest(channel, Purpose.Marketing, UnsubscribeLocale.Fr, null, decision.Content!.Body, null)
        {
            UnsubscribeUrl = Link,
        });
        return (decision, rendered);
    }

    [Fact]
    public void Should_block_a_marketing_sms_whose_footer_pushes_it_past_ten_segments()
    {
        var (decided, rendered) = DecideAndRender(BodyThatFitsAlone);
        Assert.Equal(10, rendered.SegmentsWithoutFooter?.Segments);

        var final = SendPolicy.WithRendering(decided, rendered);

        Assert.Equal(DecisionOutcome.Blocked, final.Outcome);
        Assert.Equal([ReasonCodes.FooterExceedsLimit], final.Reasons);
        Assert.Null(final.Content);
        Assert.False(final.ShouldSend);
    }

    [Fact]
    public void Should_block_a_marketing_whatsapp_past_its_body_limit()
    {
        var (decided, rendered) = DecideAndRender("Offre -20% sur les peelings. " + new string('a', 4_000), Channel.WhatsApp);

        var final = SendPolicy.WithRendering(decided, rendered);

        Assert.Equal((DecisionOutcome.Blocked, ReasonCodes.FooterExceedsLimit), (final.Outcome, final.Reasons.Single()));
    }

    [Fact]
    public void Should_send_a_marketing_sms_whose_footer_fits()
    {
        var (decided, rendered) = DecideAndRender("Offre -20% sur les peelings cette semaine.");

        var final = SendPolicy.WithRendering(decided, rendered);

        Assert.Same(decided, final);
    }

    [Fact]
    public void Should_leave_a_service_message_alone_whatever_the_rendering_says()
    {
        var decided = SendPolicy.Decide(Input(Intent(), Service));
        var overflowing = new RenderedMessage(null, "x", null, new Dictionary<string, string>()) { FooterFits = false };

        Assert.Same(decided, SendPolicy.WithRendering(decided, overflowing));
    }

    [Fact]
    public void Should_not_rewrite_a_decision_that_already_blocks()
    {
        var blocked = SendPolicy.Decide(Input(Intent(declared: Purpose.Marketing), Marketing));
        var overflowing = new RenderedMessage(null, "x", null, new Dictionary<string, string>()) { FooterFits = false };

        Assert.Equal([ReasonCodes.NoMarketingConsent], SendPolicy.WithRendering(blocked, overflowing).Reasons);
    }
}

using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Rendering;
using static CommsGateway.Core.Tests.Policy.PolicyScenario;
using Cls = CommsGateway.Core.Classification.Classification;

namespace CommsGateway.Core.Tests.Policy;

/// <summary>A WhatsApp template shows its own text, not the rendered footer: marketing needs a variable for the link.</summary>
public sealed class TemplateUnsubscribeTests
{
    /// <summary>A WhatsApp intent the policy decided to send, and its rendering (with the unsubscribe link).</summary>
    private static (Decisions.Decision Decision, RenderedMessage Rendered) Decide(Cls classification, params ConsentState[] consent)
    {
        var (_, decision, rendered) = Sendable(Channel.WhatsApp, classification, consent: consent);
        return (decision, rendered);
    }

    [Fact]
    public void Should_block_marketing_through_a_template_without_an_unsubscribe_variable()
    {
        var (decision, rendered) = Decide(Marketing, WhatsAppMarketing);

        var final = SendPolicy.WithRendering(decision, rendered, new WhatsAppTemplate { ContentSid = "HXpromo" });

        Assert.Equal(DecisionOutcome.Blocked, final.Outcome);
        Assert.Equal([ReasonCodes.TemplateLacksUnsubscribe], final.Reasons);
        Assert.Null(final.Content);
        Assert.Contains(final.Details, d => d.Contains("HXpromo", StringComparison.Ordinal));
        Assert.Equal(decision.ConsentEventId, final.ConsentEventId);
    }

    [Fact]
    public void Should_send_marketing_through_a_template_that_names_its_unsubscribe_variable()
    {
        var (decision, rendered) = Decide(Marketing, WhatsAppMarketing);
        Assert.Equal(UnsubscribeLink, rendered.UnsubscribeUrl);

        var final = SendPolicy.WithRendering(decision, rendered, new WhatsAppTemplate { ContentSid = "HXpromo", UnsubscribeVariable = "3" });

        Assert.Equal(DecisionOutcome.Sent, final.Outcome);
        Assert.Equal([ReasonCodes.MarketingConsentGranted], final.Reasons);
    }

    [Fact]
    public void Should_block_when_the_variable_is_named_but_no_link_was_rendered()
    {
        var (decision, rendered) = Decide(Marketing, WhatsAppMarketing);

        var final = SendPolicy.WithRendering(decision, rendered with { UnsubscribeUrl = null }, new WhatsAppTemplate { ContentSid = "HXpromo", UnsubscribeVariable = "3" });

        Assert.Equal([ReasonCodes.TemplateLacksUnsubscribe], final.Reasons);
    }

    [Fact]
    public void Should_let_a_service_template_and_a_free_form_marketing_body_through()
    {
        var (service, serviceRendered) = Decide(Service);
        Assert.Equal(DecisionOutcome.Sent, SendPolicy.WithRendering(service, serviceRendered, new WhatsAppTemplate { ContentSid = "HXreminder" }).Outcome);

        var (marketing, marketingRendered) = Decide(Marketing, WhatsAppMarketing);
        Assert.Equal(DecisionOutcome.Sent, SendPolicy.WithRendering(marketing, marketingRendered, template: null).Outcome);
    }

    [Fact]
    public void Should_keep_the_footer_check_first()
    {
        var (decision, rendered) = Decide(Marketing, WhatsAppMarketing);

        var final = SendPolicy.WithRendering(decision, rendered with { FooterFits = false }, new WhatsAppTemplate { ContentSid = "HXpromo" });

        Assert.Equal([ReasonCodes.FooterExceedsLimit], final.Reasons);
    }
}

using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;
using static CommsGateway.Core.Tests.Policy.PolicyScenario;
using Cls = CommsGateway.Core.Classification.Classification;

namespace CommsGateway.Core.Tests.Policy;

/// <summary>
/// SendPolicy.Finish: the decision's last three checks, in Core and in order, from what rendering found (WhatsApp
/// window, footer fit, template link), with the WhatsApp template Core chooses.
/// </summary>
public sealed class FinishTests
{
    private static readonly WhatsAppTemplate ClinicTemplate = new() { ContentSid = "HXclinic", UnsubscribeVariable = "2" };

    [Fact]
    public void Should_send_a_whatsapp_reply_inside_the_window_free_form()
    {
        var (input, decision, rendered) = Sendable(Channel.WhatsApp, Service, Tuesday11.AddHours(-2));

        var finished = SendPolicy.Finish(input, decision, rendered);

        Assert.Same(decision, finished.Decision);
        Assert.Null(finished.Template);
    }

    [Fact]
    public void Should_block_a_whatsapp_service_message_outside_the_window_without_a_template()
    {
        var (input, decision, rendered) = Sendable(Channel.WhatsApp, Service, Tuesday11.AddDays(-2));

        var finished = SendPolicy.Finish(input, decision, rendered);

        Assert.Equal(DecisionOutcome.Blocked, finished.Decision.Outcome);
        Assert.Equal([ReasonCodes.WhatsAppWindowClosed], finished.Decision.Reasons);
        Assert.Null(finished.Decision.Content);
    }

    [Fact]
    public void Should_send_marketing_outside_the_window_through_the_clinic_template_core_chooses()
    {
        var sender = Sender with { WhatsAppMarketingContentSid = ClinicTemplate.ContentSid, WhatsAppUnsubscribeVariable = ClinicTemplate.UnsubscribeVariable };
        var (input, decision, rendered) = Sendable(Channel.WhatsApp, Marketing, null, sender, WhatsAppMarketing);

        var finished = SendPolicy.Finish(input, decision, rendered);

        Assert.Equal(DecisionOutcome.Sent, finished.Decision.Outcome);
        Assert.Equal(ClinicTemplate, finished.Template);
    }

    [Fact]
    public void Should_block_marketing_through_a_clinic_template_without_an_unsubscribe_variable()
    {
        var sender = Sender with { WhatsAppMarketingContentSid = "HXbare" };
        var (input, decision, rendered) = Sendable(Channel.WhatsApp, Marketing, null, sender, WhatsAppMarketing);

        var finished = SendPolicy.Finish(input, decision, rendered);

        Assert.Equal([ReasonCodes.TemplateLacksUnsubscribe], finished.Decision.Reasons);
        Assert.Equal("HXbare", finished.Template?.ContentSid);
    }

    [Fact]
    public void Should_block_marketing_whose_footer_does_not_fit()
    {
        var (input, decision, rendered) = Sendable(Channel.Sms, Marketing, null, null, Grant(ConsentPurpose.Marketing, Channel.Sms));

        var finished = SendPolicy.Finish(input, decision, rendered with { FooterFits = false });

        Assert.Equal(DecisionOutcome.Blocked, finished.Decision.Outcome);
        Assert.Equal([ReasonCodes.FooterExceedsLimit], finished.Decision.Reasons);
    }

    [Fact]
    public void Should_cite_the_closed_window_before_the_footer()
    {
        var (input, decision, rendered) = Sendable(Channel.WhatsApp, Marketing, Tuesday11.AddDays(-3), null, WhatsAppMarketing);

        var finished = SendPolicy.Finish(input, decision, rendered with { FooterFits = false });

        Assert.Equal([ReasonCodes.WhatsAppWindowClosed], finished.Decision.Reasons);
    }

    [Fact]
    public void Should_leave_a_decision_not_to_send_as_it_is()
    {
        var input = Input(Intent(Channel.WhatsApp, Purpose.Marketing), Marketing);
        var blocked = SendPolicy.Decide(input);
        Assert.False(blocked.ShouldSend);
        var rendered = MessageRenderer.Render(new RenderRequest(Channel.WhatsApp, Purpose.Marketing, UnsubscribeLocale.Fr, null, "x", null)
        {
            UnsubscribeUrl = UnsubscribeLink,
        });

        var finished = SendPolicy.Finish(input, blocked, rendered with { FooterFits = false });

        Assert.Same(blocked, finished.Decision);
        Assert.Null(finished.Template);
    }

    [Fact]
    public void Should_use_the_intents_own_template_even_inside_the_window()
    {
        var template = new WhatsAppTemplate { ContentSid = "HXown", UnsubscribeVariable = "1" };
        var input = Input(Intent(Channel.WhatsApp) with { Template = template }, Service) with { LastWhatsAppInboundAt = Tuesday11.AddHours(-1) };

        Assert.Equal(template, WhatsAppWindow.For(input, marketing: false).Template);
        Assert.Equal(WhatsAppDelivery.FreeForm, WhatsAppWindow.For(input with { Intent = Intent(Channel.Email) }, marketing: true));
    }
}

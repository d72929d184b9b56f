using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Policy;
using static CommsGateway.Core.Tests.Policy.PolicyScenario;

namespace CommsGateway.Core.Tests.Policy;

/// <summary>WhatsApp's 24-hour customer-service window: free-form inside, an approved template outside, else blocked.</summary>
public sealed class WhatsAppWindowTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 12, 10, 0, 0, TimeSpan.Zero);
    private static readonly WhatsAppTemplate Clinic = new() { ContentSid = "HXclinic", UnsubscribeVariable = "3" };
    private static readonly WhatsAppTemplate Own = new() { ContentSid = "HXown", UnsubscribeVariable = "2" };

    private static WhatsAppDelivery Choose(bool marketing, DateTimeOffset? lastInbound, WhatsAppTemplate? own = null,
        WhatsAppTemplate? clinic = null, bool enforced = true, Channel channel = Channel.WhatsApp) =>
        WhatsAppWindow.Choose(channel, marketing, own, clinic, lastInbound, Now, enforced);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Should_send_free_form_inside_the_window_even_when_the_clinic_has_a_template(bool marketing)
    {
        Assert.Equal(WhatsAppDelivery.FreeForm, Choose(marketing, Now.AddHours(-23), clinic: Clinic));
    }

    [Fact]
    public void Should_close_the_window_exactly_24_hours_after_the_last_inbound_message()
    {
        Assert.True(WhatsAppWindow.IsOpen(Now.AddHours(-24).AddTicks(1), Now));
        Assert.False(WhatsAppWindow.IsOpen(Now.AddHours(-24), Now));
        Assert.False(WhatsAppWindow.IsOpen(null, Now));
        Assert.Equal(WhatsAppDelivery.Closed, Choose(marketing: false, Now.AddHours(-24)));
        Assert.Equal(WhatsAppDelivery.FreeForm, Choose(marketing: false, Now.AddHours(-24).AddTicks(1)));
    }

    [Fact]
    public void Should_use_the_clinics_marketing_template_outside_the_window()
    {
        Assert.Equal(new WhatsAppDelivery(Clinic, false), Choose(marketing: true, Now.AddDays(-3), clinic: Clinic));
        Assert.Equal(new WhatsAppDelivery(Clinic, false), Choose(marketing: true, null, clinic: Clinic));
    }

    [Fact]
    public void Should_never_send_a_service_message_through_the_clinics_marketing_template()
    {
        Assert.Equal(WhatsAppDelivery.Closed, Choose(marketing: false, null, clinic: Clinic));
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, null)]
    [InlineData(true, -1)]
    [InlineData(false, -1)]
    public void Should_prefer_the_intents_own_template_inside_or_outside_the_window(bool marketing, int? hoursAgo)
    {
        var lastInbound = hoursAgo is { } h ? Now.AddHours(h) : (DateTimeOffset?)null;

        Assert.Equal(new WhatsAppDelivery(Own, false), Choose(marketing, lastInbound, own: Own, clinic: Clinic));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Should_close_outside_the_window_without_any_template(bool marketing)
    {
        Assert.Equal(WhatsAppDelivery.Closed, Choose(marketing, Now.AddDays(-2)));
    }

    [Fact]
    public void Should_leave_the_window_to_Twilio_when_the_clinic_does_not_enforce_it()
    {
        Assert.Equal(WhatsAppDelivery.FreeForm, Choose(marketing: false, null, enforced: false));
        Assert.Equal(new WhatsAppDelivery(Clinic, false), Choose(marketing: true, null, clinic: Clinic, enforced: false));
    }

    [Theory]
    [InlineData(Channel.Sms)]
    [InlineData(Channel.Email)]
    public void Should_not_apply_to_other_channels(Channel channel)
    {
        Assert.Equal(WhatsAppDelivery.FreeForm, Choose(marketing: true, null, own: Own, clinic: Clinic, channel: channel));
    }

    [Fact]
    public void Should_block_a_decision_to_send_as_WhatsAppWindowClosed_and_keep_its_consent_evidence()
    {
        var decision = SendPolicy.Decide(Input(Intent(Channel.WhatsApp, Purpose.Marketing), Marketing,
            Grant(ConsentPurpose.Marketing, Channel.WhatsApp)));
        Assert.True(decision.ShouldSend);

        var closed = SendPolicy.WithWhatsAppWindow(decision, WhatsAppDelivery.Closed);
        var open = SendPolicy.WithWhatsAppWindow(decision, WhatsAppDelivery.FreeForm);

        Assert.Equal(DecisionOutcome.Blocked, closed.Outcome);
        Assert.Equal([ReasonCodes.WhatsAppWindowClosed], closed.Reasons);
        Assert.Null(closed.Content);
        Assert.Equal(decision.ConsentEventId, closed.ConsentEventId);
        Assert.Same(decision, open);
    }

    [Fact]
    public void Should_leave_a_blocked_decision_as_it_was()
    {
        var blocked = SendPolicy.Decide(Input(Intent(Channel.WhatsApp, Purpose.Marketing), Marketing));
        Assert.False(blocked.ShouldSend);

        Assert.Same(blocked, SendPolicy.WithWhatsAppWindow(blocked, WhatsAppDelivery.Closed));
    }
}

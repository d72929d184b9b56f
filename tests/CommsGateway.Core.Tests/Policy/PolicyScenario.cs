using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;
using Cls = CommsGateway.Core.Classification.Classification;

namespace CommsGateway.Core.Tests.Policy;

/// <summary>Builds policy inputs for table-driven tests: a consenting French patient on a Tuesday at 11:00 Paris time.</summary>
internal static class PolicyScenario
{
    /// <summary>Tuesday 2026-11-24 11:00 Europe/Paris (10:00 UTC).</summary>
    public static readonly DateTimeOffset Tuesday11 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    public static readonly Cls Service = new(Purpose.Service, 0.05, []);
    public static readonly Cls Marketing = new(Purpose.Marketing, 0.95, ["discount-offered@body: \"-#%\""]) { MarketingInText = true };

    public static readonly ContactPoint Patient = new("t-1", "p-1", "camille@example.org", "+33612345678", null, "fr", "Europe/Paris",
        Tuesday11.AddMonths(-2));

    public static MessageIntent Intent(Channel channel = Channel.Sms, Purpose declared = Purpose.Service) => new()
    {
        IntentId = "i-1",
        TenantId = "t-1",
        PatientId = "p-1",
        Channel = channel,
        DeclaredPurpose = declared,
        Category = declared == Purpose.Marketing ? "campaign" : "appointment_reminder",
        Subject = channel == Channel.Email ? "Votre rendez-vous" : null,
        Body = "Rappel : rendez-vous mardi 10h30 avec le Dr Martin.",
    };

    public static ConsentState Grant(ConsentPurpose purpose, Channel channel, long id = 10, DateTimeOffset? at = null) =>
        new(id, purpose, channel, null, true, at ?? Tuesday11.AddMonths(-1));

    public static ConsentState Withdraw(ConsentPurpose purpose, Channel channel, long id = 11, DateTimeOffset? at = null) =>
        new(id, purpose, channel, null, false, at ?? Tuesday11.AddDays(-1));

    /// <summary>The clinic's own sender on every channel.</summary>
    public static readonly ClinicSender Sender = new()
    {
        EmailFrom = "rendez-vous@clinique-t1.example", EmailFromName = "Clinique T1", SmsFrom = "+33700000001", WhatsAppFrom = "+33700000002",
    };

    public static PolicyInput Input(MessageIntent intent, Cls classification, params ConsentState[] consent) =>
        new(intent, classification, Tuesday11)
        {
            Contact = Patient,
            Consent = new ConsentSnapshot(consent),
            Sender = Sender,
        };

    /// <summary>The unsubscribe link rendering injects in these tests.</summary>
    public static readonly Uri UnsubscribeLink = new("https://gw.example/u/AbC-123_xyz");

    public static readonly ConsentState WhatsAppMarketing = Grant(ConsentPurpose.Marketing, Channel.WhatsApp);

    /// <summary>
    /// An intent on <paramref name="channel"/> the policy decided to send (asserted), and its rendering in French with
    /// <see cref="UnsubscribeLink"/>: what SendPolicy's last checks (Finish, WithRendering) take.
    /// </summary>
    public static (PolicyInput Input, Decisions.Decision Decision, RenderedMessage Rendered) Sendable(Channel channel, Cls classification,
        DateTimeOffset? lastInbound = null, ClinicSender? sender = null, params ConsentState[] consent)
    {
        var input = Input(Intent(channel, classification.Purpose), classification, consent) with
        {
            LastWhatsAppInboundAt = lastInbound,
            Sender = sender ?? Sender,
        };
        var decision = SendPolicy.Decide(input);
        Assert.True(decision.ShouldSend, string.Join(",", decision.Reasons));
        var rendered = MessageRenderer.Render(new RenderRequest(channel, decision.Content!.IsMarketing ? Purpose.Marketing : Purpose.Service,
            UnsubscribeLocale.Fr, decision.Content.Subject, decision.Content.Body, null) { UnsubscribeUrl = UnsubscribeLink });
        return (input, decision, rendered);
    }
}

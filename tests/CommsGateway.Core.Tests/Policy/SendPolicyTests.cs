using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Policy;
using static CommsGateway.Core.Tests.Policy.PolicyScenario;

namespace CommsGateway.Core.Tests.Policy;

public sealed class SendPolicyTests
{
    private static readonly ConsentState SmsMarketing = Grant(ConsentPurpose.Marketing, Channel.Sms);

    public static TheoryData<string, PolicyInput, DecisionOutcome, string[]> Cases => new()
    {
        { "service reminder", Input(Intent(), Service), DecisionOutcome.Sent, [ReasonCodes.ServiceMessage] },
        { "marketing with live grant", Input(Intent(declared: Purpose.Marketing), Marketing, SmsMarketing), DecisionOutcome.Sent, [ReasonCodes.MarketingConsentGranted] },
        { "marketing without grant", Input(Intent(declared: Purpose.Marketing), Marketing), DecisionOutcome.Blocked, [ReasonCodes.NoMarketingConsent] },
        { "marketing after withdrawal", Input(Intent(declared: Purpose.Marketing), Marketing, Withdraw(ConsentPurpose.Marketing, Channel.Sms)), DecisionOutcome.Blocked, [ReasonCodes.NoMarketingConsent] },
        { "grant on another channel only", Input(Intent(declared: Purpose.Marketing), Marketing, Grant(ConsentPurpose.Marketing, Channel.Email)), DecisionOutcome.Blocked, [ReasonCodes.NoMarketingConsent] },
        { "promotion slipped into a reminder", Input(Intent(), Marketing), DecisionOutcome.Blocked, [ReasonCodes.MarketingInServiceMessage, ReasonCodes.NoMarketingConsent] },
        { "promotion in reminder, patient consents", Input(Intent(), Marketing, SmsMarketing), DecisionOutcome.Sent, [ReasonCodes.MarketingConsentGranted, ReasonCodes.DeclaredPurposeMismatch] },
        { "lapsed grant", Input(Intent(declared: Purpose.Marketing), Marketing, Grant(ConsentPurpose.Marketing, Channel.Sms, at: Tuesday11.AddMonths(-40))) with { Contact = Patient with { LastInteractionAt = Tuesday11.AddMonths(-37) } }, DecisionOutcome.Blocked, [ReasonCodes.ConsentLapsed] },
        { "service on refused channel", Input(Intent(), Service, Withdraw(ConsentPurpose.Service, Channel.Sms)), DecisionOutcome.Blocked, [ReasonCodes.ChannelRefused] },
        { "suppressed address", Input(Intent(), Service) with { AddressSuppressed = true }, DecisionOutcome.Blocked, [ReasonCodes.Suppressed] },
        { "unknown clinic", Input(Intent(), Service) with { TenantKnown = false }, DecisionOutcome.Rejected, [ReasonCodes.UnknownTenant] },
        { "clinic without any sender", Input(Intent(), Service) with { Sender = ClinicSender.None }, DecisionOutcome.Blocked, [ReasonCodes.NoSenderIdentity] },
        { "clinic with an email sender only, SMS", Input(Intent(), Service) with { Sender = new ClinicSender { EmailFrom = "a@clinic.example" } }, DecisionOutcome.Blocked, [ReasonCodes.NoSenderIdentity] },
        { "clinic with an SMS messaging service only", Input(Intent(), Service) with { Sender = new ClinicSender { MessagingServiceSid = "MG00000000000000000000000000000001" } }, DecisionOutcome.Sent, [ReasonCodes.ServiceMessage] },
        { "clinic without a WhatsApp sender", Input(Intent(Channel.WhatsApp), Service) with { Contact = Patient with { WhatsApp = "+33612345678" }, Sender = PolicyScenario.Sender with { WhatsAppFrom = null } }, DecisionOutcome.Blocked, [ReasonCodes.NoSenderIdentity] },
        { "clinic without sender, marketing withdrawn", Input(Intent(Channel.Email, Purpose.Marketing), Marketing, Withdraw(ConsentPurpose.Marketing, Channel.Email)) with { Sender = PolicyScenario.Sender with { EmailFrom = null } }, DecisionOutcome.Blocked, [ReasonCodes.NoSenderIdentity] },
        { "unknown patient", Input(Intent(), Service) with { Contact = null }, DecisionOutcome.Blocked, [ReasonCodes.NoContactPoint] },
        { "no email on record", Input(Intent(Channel.Email), Service) with { Contact = Patient with { Email = null } }, DecisionOutcome.Blocked, [ReasonCodes.NoContactPoint] },
        { "explicit address differs", Input(Intent() with { To = "+33699999999" }, Service), DecisionOutcome.Blocked, [ReasonCodes.RecipientMismatch] },
        { "explicit address same in other notation", Input(Intent() with { To = "0033 6 12 34 56 78" }, Service), DecisionOutcome.Sent, [ReasonCodes.ServiceMessage] },
        { "expired reminder", Input(Intent() with { ExpiresAt = Tuesday11.AddMinutes(-1) }, Service), DecisionOutcome.Blocked, [ReasonCodes.Expired] },
        { "not yet due", Input(Intent() with { NotBefore = Tuesday11.AddHours(3) }, Service), DecisionOutcome.Deferred, [ReasonCodes.NotYetDue] },
        { "cancelled campaign", Input(Intent(declared: Purpose.Marketing), Marketing, SmsMarketing) with { CampaignCancelled = true }, DecisionOutcome.Blocked, [ReasonCodes.CampaignCancelled] },
        { "frequency cap reached", Input(Intent(declared: Purpose.Marketing), Marketing, SmsMarketing) with { MarketingSentLast7Days = 3 }, DecisionOutcome.Blocked, [ReasonCodes.FrequencyCap] },
        { "below frequency cap", Input(Intent(declared: Purpose.Marketing), Marketing, SmsMarketing) with { MarketingSentLast7Days = 2 }, DecisionOutcome.Sent, [ReasonCodes.MarketingConsentGranted] },
        { "marketing SMS on Sunday", Input(Intent(declared: Purpose.Marketing), Marketing, SmsMarketing) with { Now = Tuesday11.AddDays(5) }, DecisionOutcome.Deferred, [ReasonCodes.QuietHours] },
        { "marketing email on Sunday (email exempt by default)", Input(Intent(Channel.Email, Purpose.Marketing), Marketing, Grant(ConsentPurpose.Marketing, Channel.Email)) with { Now = Tuesday11.AddDays(5) }, DecisionOutcome.Sent, [ReasonCodes.MarketingConsentGranted] },
        { "service SMS at night", Input(Intent(), Service) with { Now = Tuesday11.AddHours(13) }, DecisionOutcome.Sent, [ReasonCodes.ServiceMessage] },
        { "health details in SMS", Input(Intent(), Service) with { Classification = Service with { HealthDetails = ["condition@body: \"diabete\""] } }, DecisionOutcome.Sent, [ReasonCodes.ServiceMessage, ReasonCodes.HealthDetailsFlagged] },
        { "health details in email not flagged", Input(Intent(Channel.Email), Service) with { Classification = Service with { HealthDetails = ["condition@body: \"diabete\""] } }, DecisionOutcome.Sent, [ReasonCodes.ServiceMessage] },
        {
            "pictured patient without photo consent",
            Input(Intent(declared: Purpose.Marketing) with { Media = [new MediaItem { Url = "https://x/a.jpg", PicturedPatientId = "p-9" }] }, Marketing, SmsMarketing),
            DecisionOutcome.Blocked, [ReasonCodes.PhotoConsentMissing]
        },
        {
            "pictured patient with newsletter photo consent",
            Input(Intent(declared: Purpose.Marketing) with { Media = [new MediaItem { Url = "https://x/a.jpg", PicturedPatientId = "p-9" }] }, Marketing, SmsMarketing) with
            {
                PicturedPatientsConsent = new Dictionary<string, ConsentSnapshot>
                {
                    ["p-9"] = new([new ConsentState(50, ConsentPurpose.PhotoMarketing, Channel.Email, PhotoPlacement.Newsletter, true, Tuesday11.AddDays(-3))]),
                },
            },
            DecisionOutcome.Sent, [ReasonCodes.MarketingConsentGranted]
        },
        {
            "pictured patient consented to Instagram only",
            Input(Intent(declared: Purpose.Marketing) with { Media = [new MediaItem { Url = "https://x/a.jpg", PicturedPatientId = "p-9" }] }, Marketing, SmsMarketing) with
            {
                PicturedPatientsConsent = new Dictionary<string, ConsentSnapshot>
                {
                    ["p-9"] = new([new ConsentState(50, ConsentPurpose.PhotoMarketing, Channel.Email, PhotoPlacement.SocialMedia, true, Tuesday11.AddDays(-3))]),
                },
            },
            DecisionOutcome.Blocked, [ReasonCodes.PhotoConsentMissing]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_decide(string scenario, PolicyInput input, DecisionOutcome outcome, string[] reasons)
    {
        var decision = SendPolicy.Decide(input);
        Assert.True(outcome == decision.Outcome, $"{scenario}: expected {outcome}, got {decision.Outcome} ({string.Join(",", decision.Reasons)})");
        Assert.Equal(reasons, decision.Reasons);
    }

    [Fact]
    public void Should_remove_marked_marketing_blocks_from_a_reminder_without_consent()
    {
        var intent = Intent() with { Blocks = [new ContentBlock { Kind = Purpose.Marketing, Text = "-20% sur les peelings ce mois-ci !" }] };
        // The classifier found marketing only in the block the producer marked as such.
        var input = Input(intent, Marketing with { MarketingInText = false });

        var decision = SendPolicy.Decide(input);

        Assert.Equal(DecisionOutcome.SentWithMarketingRemoved, decision.Outcome);
        Assert.Equal([ReasonCodes.MarketingBlocksRemoved, ReasonCodes.NoMarketingConsent], decision.Reasons);
        Assert.Equal(intent.Body, decision.Content!.Body);
        Assert.DoesNotContain("peelings", decision.Content.Body, StringComparison.Ordinal);
        Assert.False(decision.Content.IsMarketing);
    }

    [Fact]
    public void Should_block_when_marketing_remains_in_text_after_removing_blocks()
    {
        var intent = Intent() with { Blocks = [new ContentBlock { Kind = Purpose.Marketing, Text = "-20% !" }] };
        var decision = SendPolicy.Decide(Input(intent, Marketing with { MarketingInText = true }));

        Assert.Equal(DecisionOutcome.Blocked, decision.Outcome);
        Assert.Equal([ReasonCodes.MarketingInServiceMessage, ReasonCodes.NoMarketingConsent], decision.Reasons);
    }

    [Fact]
    public void Should_send_blocks_as_marketing_when_the_patient_consents()
    {
        var intent = Intent() with { Blocks = [new ContentBlock { Kind = Purpose.Marketing, Text = "-20% sur les peelings" }] };
        var decision = SendPolicy.Decide(Input(intent, Marketing, SmsMarketing));

        Assert.Equal(DecisionOutcome.Sent, decision.Outcome);
        Assert.True(decision.Content!.IsMarketing);
        Assert.Contains("peelings", decision.Content.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_cite_the_consent_event_relied_on()
    {
        var decision = SendPolicy.Decide(Input(Intent(declared: Purpose.Marketing), Marketing, Grant(ConsentPurpose.Marketing, Channel.Sms, id: 4242)));
        Assert.Equal(4242, decision.ConsentEventId);
        Assert.Equal(Patient.Phone, decision.Recipient);
    }

    [Fact]
    public void Should_defer_quiet_hours_to_the_next_opening()
    {
        // Saturday 2026-11-28 21:30 Paris: Sunday is closed, so Monday 08:00 Paris (07:00 UTC).
        var saturdayNight = new DateTimeOffset(2026, 11, 28, 20, 30, 0, TimeSpan.Zero);
        var decision = SendPolicy.Decide(Input(Intent(declared: Purpose.Marketing), Marketing, SmsMarketing) with { Now = saturdayNight });

        Assert.Equal(DecisionOutcome.Deferred, decision.Outcome);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 7, 0, 0, TimeSpan.Zero), decision.DeferredUntil);
    }

    [Fact]
    public void Should_name_the_term_that_raised_a_health_details_flag_in_the_details_and_list_each_signal_once()
    {
        var classification = Service with { Signals = ["offer@body: \"promo\""], HealthDetails = ["health-condition: \"diabete\""] };

        var decision = SendPolicy.Decide(Input(Intent(), Service) with { Classification = classification });

        Assert.Contains(ReasonCodes.HealthDetailsFlagged, decision.Reasons);
        Assert.Equal(["signal: offer@body: \"promo\"", "HealthDetailsFlagged: health-condition: \"diabete\""], decision.Details);
    }
}

using CommsGateway.Core.Policy;
using CommsGateway.FakeProviders;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>Gateway settings pointing both providers at a running fake, with test-sized resilience timings.</summary>
public static class FakeProviderSettings
{
    public const string ShortCode = "36180";
    public const string LongCode = "+33700000001";
    public const string WhatsAppFrom = "+33700000002";

    /// <summary>Default marketing template whose variable "2" shows the unsubscribe link.</summary>
    public const string TemplateClinic = "template-clinic";
    public const string TemplateClinicContentSid = "HXdefault0000000000000000000000";
    public const string TemplateClinicUnsubscribeVariable = "2";

    /// <summary>Default marketing template that names no unsubscribe variable: its marketing must be blocked.</summary>
    public const string BareTemplateClinic = "bare-template-clinic";

    /// <summary>SMS through a Messaging Service pool instead of a From number.</summary>
    public const string ServicePoolClinic = "service-pool-clinic";
    public const string MessagingServiceSid = "MG00000000000000000000000000000001";

    /// <summary>Its own email sender and reply-to.</summary>
    public const string OwnSenderClinic = "own-sender-clinic";

    /// <summary>
    /// The sender identity each test clinic stores (senders live with the clinic): the common test sender, with the
    /// fields of the clinics above that send as themselves. Written by <see cref="TestSenders"/> when a test creates a clinic.
    /// </summary>
    public static ClinicSender SenderFor(string tenantId)
    {
        var common = new ClinicSender
        {
            EmailFrom = "rendez-vous@clinique.example", EmailFromName = "Clinique des Lilas", ReplyTo = "accueil@clinique.example",
            SmsFrom = ShortCode, WhatsAppFrom = WhatsAppFrom,
        };
        return tenantId switch
        {
            "longcode-clinic" => common with { SmsFrom = LongCode },
            TemplateClinic => common with { WhatsAppMarketingContentSid = TemplateClinicContentSid, WhatsAppUnsubscribeVariable = TemplateClinicUnsubscribeVariable },
            BareTemplateClinic => common with { WhatsAppMarketingContentSid = "HXbare00000000000000000000000000" },
            ServicePoolClinic => common with { MessagingServiceSid = MessagingServiceSid },
            OwnSenderClinic => common with
            {
                EmailFrom = "contact@peau-claire.example", EmailFromName = "Cabinet Peau Claire", ReplyTo = "secretariat@peau-claire.example",
            },
            _ => common,
        };
    }

    public static Dictionary<string, string?> For(FakeProviderServer fake, string publicBaseUrl = "http://127.0.0.1:5080")
    {
        ArgumentNullException.ThrowIfNull(fake);
        var o = fake.Options;
        return new Dictionary<string, string?>
        {
            ["Gateway:PublicBaseUrl"] = publicBaseUrl,
            ["SendGrid:ApiKey"] = o.SendGridApiKey,
            ["SendGrid:Host"] = fake.BaseUrl,
            ["SendGrid:BaseDelayMilliseconds"] = "100",
            ["SendGrid:TotalTimeoutSeconds"] = "20",
            ["Twilio:AccountSid"] = o.TwilioAccountSid,
            ["Twilio:AuthToken"] = o.TwilioAuthToken,
            ["Twilio:BaseUrl"] = fake.BaseUrl,
            ["Twilio:BaseDelayMilliseconds"] = "100",
            ["Twilio:TotalTimeoutSeconds"] = "20",
            ["FakeProviders:BaseUrl"] = fake.BaseUrl,
            ["SendGrid:EventWebhook:PublicKey"] = fake.EventSigner.PublicKey,
            ["Reconciler:SettleAfterSeconds"] = "25",
            ["Reconciler:IntervalSeconds"] = "2",
        };
    }
}

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
            ["Senders:Default:EmailFrom"] = "rendez-vous@clinique.example",
            ["Senders:Default:EmailFromName"] = "Clinique des Lilas",
            ["Senders:Default:ReplyTo"] = "accueil@clinique.example",
            ["Senders:Default:SmsFrom"] = ShortCode,
            ["Senders:Default:WhatsAppFrom"] = WhatsAppFrom,
            ["Reconciler:SettleAfterSeconds"] = "25",
            ["Reconciler:IntervalSeconds"] = "2",
            ["Senders:Tenants:longcode-clinic:SmsFrom"] = LongCode,
            [$"Senders:Tenants:{TemplateClinic}:WhatsAppMarketingContentSid"] = TemplateClinicContentSid,
            [$"Senders:Tenants:{TemplateClinic}:WhatsAppUnsubscribeVariable"] = TemplateClinicUnsubscribeVariable,
            [$"Senders:Tenants:{BareTemplateClinic}:WhatsAppMarketingContentSid"] = "HXbare00000000000000000000000000",
            [$"Senders:Tenants:{ServicePoolClinic}:MessagingServiceSid"] = MessagingServiceSid,
            [$"Senders:Tenants:{OwnSenderClinic}:EmailFrom"] = "contact@peau-claire.example",
            [$"Senders:Tenants:{OwnSenderClinic}:EmailFromName"] = "Cabinet Peau Claire",
            [$"Senders:Tenants:{OwnSenderClinic}:ReplyTo"] = "secretariat@peau-claire.example",
        };
    }
}

using CommsGateway.FakeProviders;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>Gateway settings pointing both providers at a running fake, with test-sized resilience timings.</summary>
public static class FakeProviderSettings
{
    public const string ShortCode = "36180";
    public const string LongCode = "+33700000001";
    public const string WhatsAppFrom = "+33700000002";

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
            ["Senders:Tenants:template-clinic:WhatsAppMarketingContentSid"] = "HXdefault0000000000000000000000",
        };
    }
}

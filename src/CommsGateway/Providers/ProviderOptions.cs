using System.ComponentModel.DataAnnotations;

namespace CommsGateway.Providers;

/// <summary>Per-provider resilience (Polly v8 through Microsoft.Extensions.Http.Resilience).</summary>
public abstract class ProviderHttpOptions
{
    /// <summary>One HTTP attempt.</summary>
    [Range(1, 300)] public double AttemptTimeoutSeconds { get; set; } = 10;

    /// <summary>All attempts and waits together; keep it below the reconciler's threshold.</summary>
    [Range(1, 600)] public double TotalTimeoutSeconds { get; set; } = 60;

    [Range(0, 20)] public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>First backoff; doubled per attempt, with jitter. A Retry-After header wins.</summary>
    [Range(1, 60_000)] public int BaseDelayMilliseconds { get; set; } = 500;

    /// <summary>Share of failed calls in the sampling window that opens the breaker.</summary>
    [Range(0.01, 1.0)] public double BreakerFailureRatio { get; set; } = 0.8;

    [Range(2, 100_000)] public int BreakerMinimumThroughput { get; set; } = 50;

    [Range(0.5, 600)] public double BreakDurationSeconds { get; set; } = 5;
}

public sealed class SendGridOptions : ProviderHttpOptions
{
    public const string Section = "SendGrid";

    [Required] public string ApiKey { get; set; } = "";

    /// <summary>https://api.sendgrid.com in production; the fake provider's URL in tests and the demo.</summary>
    [Required, Url] public string Host { get; set; } = "https://api.sendgrid.com";

    /// <summary>Campaign emails share <c>mail/send</c> requests, one personalization each; false sends each on its own.</summary>
    public bool BulkEnabled { get; set; } = true;

    /// <summary>Personalizations per request: SendGrid takes at most 1,000.</summary>
    [Range(2, 1000)] public int BulkMaxPersonalizations { get; set; } = 1000;

    /// <summary>
    /// The longest a claimed campaign email waits for others to share its request. At most 5 s: a claim's lease
    /// (DispatchRecovery) is the total timeout plus 5 s, and the wait must fit in it.
    /// </summary>
    [Range(0, 5000)] public int BulkLingerMilliseconds { get; set; } = 200;

    /// <summary>A request goes as soon as no campaign email joined it for this long (a lone batch does not wait the full linger).</summary>
    [Range(0, 5000)] public int BulkQuietMilliseconds { get; set; } = 25;

    /// <summary>Substitution bytes per personalization: SendGrid refuses more than 10,000.</summary>
    [Range(256, 10_000)] public int BulkMaxSubstitutionBytes { get; set; } = 10_000;

    /// <summary>Estimated JSON size of one request (SendGrid's limit for a whole send is 30 MB).</summary>
    [Range(100_000, 30_000_000)] public int BulkMaxRequestBytes { get; set; } = 20_000_000;
}

/// <summary>How the gateway fans a batch of decided messages out to the providers.</summary>
public sealed class DispatchOptions
{
    public const string Section = "Dispatch";

    /// <summary>
    /// Provider calls in flight at once in this process, whichever batch or redelivery they come from (campaign emails
    /// sharing a SendGrid request do not take a slot each). 128, shared by the intent batches decided at once.
    /// </summary>
    [Range(1, 1024)] public int MaxConcurrency { get; set; } = 128;
}

public sealed class TwilioOptions : ProviderHttpOptions
{
    public const string Section = "Twilio";

    [Required] public string AccountSid { get; set; } = "";

    [Required] public string AuthToken { get; set; } = "";

    [Required, Url] public string BaseUrl { get; set; } = "https://api.twilio.com";

    /// <summary>Ask Twilio for status callbacks (needs the gateway's PublicBaseUrl reachable by Twilio).</summary>
    public bool StatusCallbacks { get; set; } = true;
}

/// <summary>
/// Sender identities in configuration: a SEED only. Senders live with each clinic in the database (tenants row, set by
/// <c>commsgw tenant sender</c> or the admin API); at start-up the gateway copies <c>Senders:Tenants:&lt;id&gt;</c> into
/// the fields that clinic has not stored yet. There is no default across clinics: <c>Senders:Default</c> is refused.
/// </summary>
public sealed class SenderOptions
{
    public const string Section = "Senders";

    /// <summary>Bound only to refuse it at start-up: a default sender is how one clinic's patients got another's mail.</summary>
    public SenderIdentity? Default { get; set; }

    public Dictionary<string, SenderIdentity> Tenants { get; } = new(StringComparer.Ordinal);
}

public sealed class SenderIdentity
{
    public string? EmailFrom { get; set; }

    public string? EmailFromName { get; set; }

    public string? ReplyTo { get; set; }

    /// <summary>E.164 long code, toll-free number or short code.</summary>
    public string? SmsFrom { get; set; }

    /// <summary>When set, Twilio picks the sender from the Messaging Service pool (preferred over SmsFrom).</summary>
    public string? MessagingServiceSid { get; set; }

    /// <summary>E.164 WhatsApp sender, without the <c>whatsapp:</c> prefix.</summary>
    public string? WhatsAppFrom { get; set; }

    /// <summary>Approved template used for WhatsApp marketing when the intent names none.</summary>
    public string? WhatsAppMarketingContentSid { get; set; }

    /// <summary>
    /// The content variable of <see cref="WhatsAppMarketingContentSid"/> that shows the unsubscribe link (e.g. "3").
    /// Without it, marketing through that template is blocked (TemplateLacksUnsubscribe): it would carry no way out.
    /// </summary>
    public string? WhatsAppUnsubscribeVariable { get; set; }

    public Core.Policy.ClinicSender ToClinicSender() => new()
    {
        EmailFrom = EmailFrom, EmailFromName = EmailFromName, ReplyTo = ReplyTo, SmsFrom = SmsFrom, MessagingServiceSid = MessagingServiceSid,
        WhatsAppFrom = WhatsAppFrom, WhatsAppMarketingContentSid = WhatsAppMarketingContentSid, WhatsAppUnsubscribeVariable = WhatsAppUnsubscribeVariable,
    };
}

/// <summary>Where the fake providers run (development and tests): the dev outbox and the reconciler's probe read it.</summary>
public sealed class FakeProvidersOptions
{
    public const string Section = "FakeProviders";

    public string? BaseUrl { get; set; }
}

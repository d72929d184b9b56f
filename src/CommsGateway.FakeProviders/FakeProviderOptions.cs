namespace CommsGateway.FakeProviders;

/// <summary>
/// What the fake injects. Mutable on purpose: a test or the demo changes the script while the server runs.
/// Fault selection is deterministic per message (hash of its IntentId), so "30 % of messages first fail
/// with 500 then 429" is reproducible and every retry of one message walks the same script.
/// </summary>
public sealed class FakeProviderOptions
{
    /// <summary>Share of messages (0..1) that walk <see cref="FaultScript"/> before being accepted.</summary>
    public double FaultRate { get; set; }

    /// <summary>HTTP statuses returned to successive attempts of a faulted message (500, 429 ...), then accepted.</summary>
    public IReadOnlyList<int> FaultScript { get; set; } = [500, 429];

    /// <summary>Retry-After sent with an injected or rate-limit 429, in seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Added before answering each call.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>Messages per second per Twilio sender kind (token bucket, burst = one second's worth).</summary>
    public Dictionary<SenderKind, double> RatePerSecond { get; } = new()
    {
        [SenderKind.LongCode] = 1,
        [SenderKind.TollFree] = 3,
        [SenderKind.ShortCode] = 100,
        [SenderKind.MessagingService] = 100,
        [SenderKind.WhatsApp] = 80,
    };

    public string TwilioAccountSid { get; set; } = "ACfake00000000000000000000000000";

    public string TwilioAuthToken { get; set; } = "fake-twilio-token";

    public string SendGridApiKey { get; set; } = "SG.fake";
}

public enum SenderKind
{
    LongCode,
    TollFree,
    ShortCode,
    MessagingService,
    WhatsApp,
}

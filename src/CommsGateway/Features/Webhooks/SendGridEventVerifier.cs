using System.ComponentModel.DataAnnotations;
using CommsGateway.Core.Security;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Webhooks;

public sealed class SendGridEventWebhookOptions
{
    public const string Section = "SendGrid:EventWebhook";

    /// <summary>
    /// The verification key SendGrid shows for the Signed Event Webhook (base64 DER, ECDSA P-256). Without it every
    /// delivery is refused (403): an unsigned webhook would let anyone withdraw or suppress patients.
    /// </summary>
    [Base64String] public string? PublicKey { get; set; }

    /// <summary>
    /// How far the signed timestamp may lie from now, in the past or the future (clock skew), in seconds. A delivery
    /// outside it is refused even when correctly signed: a captured delivery replayed later must not act again.
    /// </summary>
    [Range(30, 86_400)] public int ReplayWindowSeconds { get; set; } = 600;
}

/// <summary>The configured key, imported once; refuses everything when none is configured.</summary>
public sealed class SendGridEventVerifier : IDisposable
{
    private readonly SendGridEventSignature? _signature;

    public SendGridEventVerifier(IOptions<SendGridEventWebhookOptions> options, ILogger<SendGridEventVerifier> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _window = TimeSpan.FromSeconds(options.Value.ReplayWindowSeconds);
        if (string.IsNullOrWhiteSpace(options.Value.PublicKey))
        {
            logger.LogWarning("SendGrid:EventWebhook:PublicKey is not configured: SendGrid event deliveries will be refused");
            return;
        }

        _signature = new SendGridEventSignature(options.Value.PublicKey);
    }

    private readonly TimeSpan _window;

    public bool Verify(string? signature, string? timestamp, ReadOnlySpan<byte> rawBody) =>
        _signature is not null && _signature.Verify(signature, timestamp, rawBody);

    /// <summary>True when the (already verified) timestamp header, Unix seconds, is within the replay window of <paramref name="now"/>.</summary>
    public bool WithinReplayWindow(string? timestamp, DateTimeOffset now) =>
        long.TryParse(timestamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
        && seconds is > 0 and < 253_402_300_800 // year 10000
        && (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() <= _window;

    public void Dispose() => _signature?.Dispose();
}

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
}

/// <summary>The configured key, imported once; refuses everything when none is configured.</summary>
public sealed class SendGridEventVerifier : IDisposable
{
    private readonly SendGridEventSignature? _signature;

    public SendGridEventVerifier(IOptions<SendGridEventWebhookOptions> options, ILogger<SendGridEventVerifier> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Value.PublicKey))
        {
            logger.LogWarning("SendGrid:EventWebhook:PublicKey is not configured: SendGrid event deliveries will be refused");
            return;
        }

        _signature = new SendGridEventSignature(options.Value.PublicKey);
    }

    public bool Verify(string? signature, string? timestamp, ReadOnlySpan<byte> rawBody) =>
        _signature is not null && _signature.Verify(signature, timestamp, rawBody);

    public void Dispose() => _signature?.Dispose();
}

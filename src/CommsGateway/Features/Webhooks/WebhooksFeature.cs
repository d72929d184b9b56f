using CommsGateway.Core.Security;

namespace CommsGateway.Features.Webhooks;

/// <summary>Provider and patient signals arriving over HTTP: inbound STOP/START replies, SendGrid events.</summary>
public static class WebhooksFeature
{
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SendGridEventWebhookOptions>().BindConfiguration(SendGridEventWebhookOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.PublicKey) || IsP256Key(o.PublicKey), "SendGrid:EventWebhook:PublicKey must be an ECDSA P-256 public key (base64 DER)")
            .ValidateOnStart();
        builder.Services.AddSingleton<SendGridEventVerifier>();
        return builder;
    }

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapTwilioInboundWebhook();
        endpoints.MapSendGridEventWebhook();
        return endpoints;
    }

    private static bool IsP256Key(string key)
    {
        try
        {
            using var _ = new SendGridEventSignature(key);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }
}

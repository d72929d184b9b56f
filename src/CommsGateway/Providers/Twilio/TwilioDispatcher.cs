using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Hosting;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace CommsGateway.Providers.Twilio;

/// <summary>
/// SMS and WhatsApp through Twilio's Messages resource (the Twilio SDK is not served here):
/// POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded, basic auth.
/// Typed HttpClient: the "twilio" resilience pipeline wraps it.
/// </summary>
internal sealed class TwilioDispatcher(
    IHttpClientFactory httpClientFactory,
    IOptions<TwilioOptions> options,
    IOptions<SenderOptions> senders,
    IOptions<GatewayOptions> gateway,
    IProviderOptOutSink optOuts,
    ILogger<TwilioDispatcher> logger) : IMessageDispatcher
{
    public const string Name = "twilio";

    // twilio.com/docs/api/errors
    private const int OptedOut = 21610;
    private const int InvalidTo = 21211;
    private const int NotMobile = 21614;
    private const int OutsideWhatsAppWindow = 63016;

    public async Task<DispatchResult> DispatchAsync(OutboundMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var twilio = options.Value;
        var sender = senders.Value.For(message.TenantId);
        if (string.IsNullOrWhiteSpace(message.To))
        {
            return DispatchResult.Failed(Name, ReasonCodes.NoContactPoint, "no recipient number", permanent: true);
        }

        var whatsApp = message.Channel == Channel.WhatsApp;
        var form = new List<KeyValuePair<string, string>> { new("To", whatsApp ? "whatsapp:" + message.To : message.To) };
        if (whatsApp)
        {
            var from = message.From ?? sender.WhatsAppFrom;
            if (string.IsNullOrWhiteSpace(from))
            {
                return DispatchResult.Failed(Name, ReasonCodes.ProviderRejected, $"no WhatsApp sender configured for tenant {message.TenantId}", permanent: true);
            }

            form.Add(new("From", "whatsapp:" + from));
        }
        else if (message.From is { Length: > 0 } explicitFrom)
        {
            form.Add(new("From", explicitFrom));
        }
        else if (sender.MessagingServiceSid is { Length: > 0 } service)
        {
            form.Add(new("MessagingServiceSid", service));
        }
        else if (sender.SmsFrom is { Length: > 0 } configuredFrom)
        {
            form.Add(new("From", configuredFrom));
        }
        else
        {
            return DispatchResult.Failed(Name, ReasonCodes.ProviderRejected, $"no SMS sender configured for tenant {message.TenantId}", permanent: true);
        }

        // WhatsApp marketing outside the 24-hour customer-service window needs an approved template; the template is
        // what the patient sees, so the unsubscribe link travels in the variable it names (the rendered footer cannot).
        if (whatsApp && message.Template is { ContentSid.Length: > 0 } template)
        {
            var variables = new Dictionary<string, string>(template.Variables ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            if (message.Purpose == Purpose.Marketing)
            {
                // The policy already blocked this (TemplateLacksUnsubscribe); never send marketing without its way out.
                if (string.IsNullOrWhiteSpace(template.UnsubscribeVariable) || message.UnsubscribeUrl is null)
                {
                    return DispatchResult.Failed(Name, ReasonCodes.TemplateLacksUnsubscribe,
                        $"template {template.ContentSid} has no unsubscribe variable", permanent: true);
                }

                // Ours wins over anything the producer put there: only a link the gateway signed unsubscribes.
                variables[template.UnsubscribeVariable] = message.UnsubscribeUrl.AbsoluteUri;
            }

            form.Add(new("ContentSid", template.ContentSid));
            if (variables.Count > 0)
            {
                form.Add(new("ContentVariables", JsonSerializer.Serialize(variables)));
            }
        }
        else
        {
            form.Add(new("Body", message.Text));
        }

        if (twilio.StatusCallbacks)
        {
            form.Add(new("StatusCallback", StatusCallbackUrl(gateway.Value.PublicBaseUrl, message)));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/2010-04-01/Accounts/{Uri.EscapeDataString(twilio.AccountSid)}/Messages.json")
        {
            Content = new FormUrlEncodedContent(form),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(twilio.AccountSid + ":" + twilio.AuthToken)));

        HttpResponseMessage response;
        try
        {
            response = await httpClientFactory.CreateClient(Name).SendAsync(request, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                       or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Twilio unavailable for {IntentId}: {Error}", message.IntentId, ex.GetType().Name);
            return DispatchResult.Failed(Name, ReasonCodes.ProviderUnavailable, $"{ex.GetType().Name}: {ex.Message}", permanent: false);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                using var created = JsonDocument.Parse(body);
                return DispatchResult.Sent(Name, created.RootElement.GetProperty("sid").GetString() ?? "");
            }

            var (code, text) = TwilioError(body);
            logger.LogWarning("Twilio refused {IntentId}: {Status} code {Code}", message.IntentId, (int)response.StatusCode, code);
            var detail = $"{(int)response.StatusCode} twilio {code}: {text}";
            var providerCode = (code != 0 ? code : (int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            DispatchResult Failed(string reason, bool permanent) =>
                DispatchResult.Failed(Name, reason, detail, permanent) with { ProviderErrorCode = providerCode };
            switch (code)
            {
                case OptedOut:
                    // The recipient replied STOP at the carrier/Twilio level: honour it as a withdrawal (GDPR art. 7(3)).
                    await optOuts.RecordAsync(new ProviderOptOut(message.TenantId, message.Channel, message.To, Name, providerCode, message.DecisionId), ct);
                    return Failed(ReasonCodes.RecipientOptedOut, permanent: true);
                case InvalidTo or NotMobile:
                    return Failed(ReasonCodes.InvalidRecipient, permanent: true);
                case OutsideWhatsAppWindow:
                    return Failed(ReasonCodes.WhatsAppOutsideWindow, permanent: true);
            }

            return response.StatusCode is HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError
                ? Failed(ReasonCodes.ProviderUnavailable, permanent: false)
                : Failed(ReasonCodes.ProviderRejected, permanent: true);
        }
    }

    /// <summary>Ids only in the URL; the webhook verifies Twilio's signature over this exact URL.</summary>
    internal static string StatusCallbackUrl(string publicBaseUrl, OutboundMessage message) =>
        $"{publicBaseUrl.TrimEnd('/')}/webhooks/twilio/status?decisionId={message.DecisionId:D}&tenantId={Uri.EscapeDataString(message.TenantId)}&intentId={Uri.EscapeDataString(message.IntentId)}";

    /// <summary>Twilio's error shape: {"code":21211,"message":"...","more_info":"...","status":400}.</summary>
    private static (int Code, string Message) TwilioError(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var code = root.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : 0;
            var text = root.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
            return (code, text);
        }
        catch (JsonException)
        {
            return (0, body.Length > 300 ? body[..300] : body);
        }
    }
}

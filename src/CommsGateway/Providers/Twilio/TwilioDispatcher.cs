using System.Net;
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
/// The HTTP call goes through the typed <see cref="TwilioMessagesClient"/>, which the "twilio" resilience pipeline wraps;
/// this class builds the form and maps Twilio's answer to a <see cref="DispatchResult"/>.
/// </summary>
internal sealed class TwilioDispatcher(
    IServiceProvider services,
    IOptions<TwilioOptions> options,
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
        var sender = message.Sender; // the clinic's own identity, read with its decision
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
                return DispatchResult.Failed(Name, ReasonCodes.ProviderRejected, $"no WhatsApp sender stored for tenant {message.TenantId}", permanent: true);
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
            return DispatchResult.Failed(Name, ReasonCodes.ProviderRejected, $"no SMS sender stored for tenant {message.TenantId}", permanent: true);
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

        TwilioMessageResult answer;
        try
        {
            // Typed clients are transient: one per send, so a singleton never pins a handler past its rotation.
            answer = await services.GetRequiredService<TwilioMessagesClient>().SendAsync(new TwilioMessageRequest(form), ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                       or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Twilio unavailable for {IntentId}: {Error}", message.IntentId, ex.GetType().Name);
            return DispatchResult.Failed(Name, ReasonCodes.ProviderUnavailable, $"{ex.GetType().Name}: {ex.Message}", permanent: false);
        }

        if (answer.Created)
        {
            return DispatchResult.Sent(Name, answer.Sid ?? "");
        }

        var code = answer.ErrorCode;
        var status = (int)answer.HttpStatus;
        logger.LogWarning("Twilio refused {IntentId}: {Status} code {Code}", message.IntentId, status, code);
        var detail = $"{status} twilio {code}: {answer.ErrorMessage}{TwilioMessagesClient.Describe(answer.RetryAfter)}";
        var providerCode = (code != 0 ? code : status).ToString(System.Globalization.CultureInfo.InvariantCulture);
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
                // Safety net: the policy blocks WhatsAppWindowClosed first, but our record of inbound messages may lag.
                return Failed(ReasonCodes.WhatsAppOutsideWindow, permanent: true);
        }

        return answer.HttpStatus is HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError
            ? Failed(ReasonCodes.ProviderUnavailable, permanent: false)
            : Failed(ReasonCodes.ProviderRejected, permanent: true);
    }

    /// <summary>Ids only in the URL; the webhook verifies Twilio's signature over this exact URL.</summary>
    internal static string StatusCallbackUrl(string publicBaseUrl, OutboundMessage message) =>
        $"{publicBaseUrl.TrimEnd('/')}/webhooks/twilio/status?decisionId={message.DecisionId:D}&tenantId={Uri.EscapeDataString(message.TenantId)}&intentId={Uri.EscapeDataString(message.IntentId)}";
}

using System.Net;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Hosting;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace CommsGateway.Providers.Twilio;

/// <summary>
/// SMS and WhatsApp through Twilio's official SDK (<see cref="MessageResource.CreateAsync(CreateMessageOptions, ITwilioRestClient)"/>).
/// The SDK's HTTP calls go through the app's "twilio" HttpClient (<see cref="SystemNetHttpClient"/>), so the resilience
/// pipeline (timeouts, retries honouring Retry-After, breaker) wraps every call and <see cref="TwilioBaseUrlHandler"/>
/// points them at <see cref="TwilioOptions.BaseUrl"/> (the fake provider in tests and the demo). This class builds the
/// message and maps Twilio's answer (error codes 21610, 21211/21614, 63016) to a <see cref="DispatchResult"/>.
/// </summary>
internal sealed class TwilioDispatcher(
    IHttpClientFactory httpClientFactory,
    IOptions<TwilioOptions> options,
    IOptions<GatewayOptions> gateway,
    IProviderOptOutSink optOuts,
    ILogger<TwilioDispatcher> logger)
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
        var create = new CreateMessageOptions(new PhoneNumber(whatsApp ? "whatsapp:" + message.To : message.To));
        if (whatsApp)
        {
            var from = message.From ?? sender.WhatsAppFrom;
            if (string.IsNullOrWhiteSpace(from))
            {
                return DispatchResult.Failed(Name, ReasonCodes.ProviderRejected, $"no WhatsApp sender stored for tenant {message.TenantId}", permanent: true);
            }

            create.From = new PhoneNumber("whatsapp:" + from);
        }
        else if (message.From is { Length: > 0 } explicitFrom)
        {
            create.From = new PhoneNumber(explicitFrom);
        }
        else if (sender.MessagingServiceSid is { Length: > 0 } service)
        {
            create.MessagingServiceSid = service;
        }
        else if (sender.SmsFrom is { Length: > 0 } configuredFrom)
        {
            create.From = new PhoneNumber(configuredFrom);
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

            create.ContentSid = template.ContentSid;
            if (variables.Count > 0)
            {
                create.ContentVariables = JsonSerializer.Serialize(variables);
            }
        }
        else
        {
            create.Body = message.Text;
        }

        if (twilio.StatusCallbacks)
        {
            create.StatusCallback = new Uri(StatusCallbackUrl(gateway.Value.PublicBaseUrl, message));
        }

        // One SDK client per send over the factory's HttpClient: a singleton would pin a handler past its rotation.
        var http = new SystemNetHttpClient(httpClientFactory.CreateClient(Name));
        var client = new TwilioRestClient(twilio.AccountSid, twilio.AuthToken, twilio.AccountSid, httpClient: http);
        ApiException refused;
        try
        {
            var created = await MessageResource.CreateAsync(create, client);
            return DispatchResult.Sent(Name, created.Sid ?? "");
        }
        catch (ApiException ex)
        {
            refused = ex;
        }
        catch (ApiConnectionException ex)
        {
            // Network failure, attempt or total timeout, open breaker: the SDK wraps what the HttpClient threw.
            var cause = ex.InnerException is { } inner ? Innermost(inner) : ex;
            ProviderLog.TwilioUnavailable(logger, message.IntentId, cause.GetType().Name);
            return DispatchResult.Failed(Name, ReasonCodes.ProviderUnavailable, $"{cause.GetType().Name}: {cause.Message}", permanent: false);
        }

        var code = refused.Code;
        var status = refused.Status;
        ProviderLog.TwilioRefused(logger, message.IntentId, status, code);
        var detail = $"{status} twilio {code}: {refused.Message}{Describe(RetryAfter(http.LastResponse))}";
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

        return status is (int)HttpStatusCode.TooManyRequests or >= (int)HttpStatusCode.InternalServerError
            ? Failed(ReasonCodes.ProviderUnavailable, permanent: false)
            : Failed(ReasonCodes.ProviderRejected, permanent: true);
    }

    private static Exception Innermost(Exception ex) =>
        ex is TimeoutRejectedException or BrokenCircuitException or HttpRequestException || ex.InnerException is null ? ex : Innermost(ex.InnerException);

    private static TimeSpan? RetryAfter(global::Twilio.Http.Response? response) => response?.Headers?.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - (response.Headers.Date ?? DateTimeOffset.UtcNow),
        _ => null,
    };

    /// <summary>For logs and dispatch details only.</summary>
    private static string Describe(TimeSpan? retryAfter) =>
        retryAfter is { } r ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" (Retry-After {r.TotalSeconds:0}s)") : "";

    /// <summary>Ids only in the URL; the webhook verifies Twilio's signature over this exact URL.</summary>
    internal static string StatusCallbackUrl(string publicBaseUrl, OutboundMessage message) =>
        $"{publicBaseUrl.TrimEnd('/')}/webhooks/twilio/status?decisionId={message.DecisionId:D}&tenantId={Uri.EscapeDataString(message.TenantId)}&intentId={Uri.EscapeDataString(message.IntentId)}";
}

/// <summary>
/// The SDK always builds https://api.twilio.com/...: this handler sends its calls to <see cref="TwilioOptions.BaseUrl"/>
/// instead, keeping path and query (the fake provider in tests and the demo; unchanged against Twilio itself).
/// </summary>
internal sealed class TwilioBaseUrlHandler(IOptions<TwilioOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = new Uri(options.Value.BaseUrl);
        if (request.RequestUri is { } uri && (uri.Scheme != target.Scheme || uri.Authority != target.Authority))
        {
            request.RequestUri = new UriBuilder(uri) { Scheme = target.Scheme, Host = target.Host, Port = target.Port }.Uri;
        }

        return base.SendAsync(request, cancellationToken);
    }
}

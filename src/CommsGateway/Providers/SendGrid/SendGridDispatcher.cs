using System.Net;
using System.Text.Json;
using CommsGateway.Contracts;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;
using SendGrid;
using SendGrid.Helpers.Mail;

namespace CommsGateway.Providers.SendGrid;

/// <summary>
/// Email through SendGrid's official SDK. The SDK gets an HttpClient from IHttpClientFactory, so the
/// "sendgrid" resilience pipeline (timeouts, retries honouring Retry-After, breaker) wraps every call.
/// </summary>
internal sealed class SendGridDispatcher(
    IHttpClientFactory httpClientFactory,
    IOptions<SendGridOptions> options,
    ILogger<SendGridDispatcher> logger)
{
    public const string Name = "sendgrid";

    public async Task<DispatchResult> DispatchAsync(OutboundMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sender = message.Sender; // the clinic's own identity, read with its decision
        var from = FromOf(message);
        if (string.IsNullOrWhiteSpace(message.To))
        {
            return DispatchResult.Failed(Name, ReasonCodes.NoContactPoint, "no recipient address", permanent: true);
        }

        if (string.IsNullOrWhiteSpace(from))
        {
            return DispatchResult.Failed(Name, ReasonCodes.ProviderRejected, $"no email sender stored for tenant {message.TenantId}", permanent: true);
        }

        var mail = new SendGridMessage
        {
            From = new EmailAddress(from, message.FromName ?? sender.EmailFromName),
            Subject = message.Subject,
            PlainTextContent = message.Text,
            HtmlContent = message.Html,
        };
        mail.AddTo(new EmailAddress(message.To));
        if (ReplyToOf(message) is { } replyTo)
        {
            mail.ReplyTo = new EmailAddress(replyTo);
        }

        if (message.Headers.Count > 0)
        {
            mail.AddHeaders(message.Headers.ToDictionary(h => h.Key, h => h.Value));
        }

        // Ids only: custom_args come back on every event webhook, and must carry no personal data.
        mail.AddCustomArg("intent_id", message.IntentId);
        mail.AddCustomArg("decision_id", message.DecisionId.ToString());
        mail.AddCategories(CategoriesOf(message));
        return await SendAsync(mail, message.IntentId, message.DecisionId, ct);
    }

    /// <summary>The sender address of a message: its own override, else the clinic's stored identity.</summary>
    internal static string? FromOf(OutboundMessage message) => message.From ?? message.Sender.EmailFrom;

    internal static string? FromNameOf(OutboundMessage message) => message.FromName ?? message.Sender.EmailFromName;

    internal static string? ReplyToOf(OutboundMessage message) => (message.ReplyTo ?? message.Sender.ReplyTo) is { Length: > 0 } replyTo ? replyTo : null;

    /// <summary>Detected purpose, then the intent's category.</summary>
    internal static List<string> CategoriesOf(OutboundMessage message) =>
        [WireNames.Of(message.Purpose), .. string.IsNullOrEmpty(message.Category) ? Array.Empty<string>() : [message.Category]];

    /// <summary>
    /// One <c>mail/send</c> request (one recipient, or a bulk request's personalizations) through the resilience
    /// pipeline; the answer applies to every message of the request. <paramref name="logKey"/> names it in logs (ids only);
    /// <paramref name="fallbackId"/> makes the message id when the answer carries none.
    /// </summary>
    internal async Task<DispatchResult> SendAsync(SendGridMessage mail, string logKey, Guid fallbackId, CancellationToken ct)
    {
        var client = new SendGridClient(httpClientFactory.CreateClient(Name), new SendGridClientOptions
        {
            ApiKey = options.Value.ApiKey,
            Host = options.Value.Host,
        });

        Response response;
        try
        {
            response = await client.SendEmailAsync(mail, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                       or TaskCanceledException && !ct.IsCancellationRequested)
        {
            ProviderLog.SendGridUnavailable(logger, logKey, ex.GetType().Name);
            return DispatchResult.Failed(Name, ReasonCodes.ProviderUnavailable, $"{ex.GetType().Name}: {ex.Message}", permanent: false);
        }

        if (response.IsSuccessStatusCode)
        {
            var id = response.Headers.TryGetValues("X-Message-Id", out var values) ? values.FirstOrDefault() : null;
            return DispatchResult.Sent(Name, id ?? "sendgrid-" + fallbackId.ToString("N"));
        }

        var detail = await ErrorTextAsync(response, ct);
        var status = response.StatusCode;
        ProviderLog.SendGridRefused(logger, logKey, (int)status, detail);
        var failed = status is HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError
            ? DispatchResult.Failed(Name, ReasonCodes.ProviderUnavailable, $"{(int)status}: {detail}", permanent: false)
            : DispatchResult.Failed(Name, ReasonCodes.ProviderRejected, $"{(int)status}: {detail}", permanent: true);
        // SendGrid's errors carry no code of their own: the HTTP status is what its support asks for.
        return failed with { ProviderErrorCode = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }

    /// <summary>SendGrid's error shape: {"errors":[{"message":"...","field":"...","help":...}]}.</summary>
    private static async Task<string> ErrorTextAsync(Response response, CancellationToken ct)
    {
        var body = response.Body is null ? "" : await response.Body.ReadAsStringAsync(ct);
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                return string.Join("; ", errors.EnumerateArray().Select(e =>
                    (e.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() + ": " : "")
                    + (e.TryGetProperty("message", out var m) ? m.GetString() : "")));
            }
        }
        catch (JsonException)
        {
            // Not JSON: keep the raw text (truncated below).
        }

        return body.Length > 500 ? body[..500] : body;
    }
}

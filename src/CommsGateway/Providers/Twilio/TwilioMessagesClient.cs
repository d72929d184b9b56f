using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace CommsGateway.Providers.Twilio;

/// <summary>One message for Twilio's Messages resource: the form fields (To, From or MessagingServiceSid, Body or ContentSid ...).</summary>
internal sealed record TwilioMessageRequest(IReadOnlyList<KeyValuePair<string, string>> Form);

/// <summary>
/// Twilio's answer, typed: on success the message sid and status; otherwise Twilio's error code and message
/// (0 and the raw body when the answer is not Twilio's JSON), the HTTP status and any Retry-After.
/// </summary>
internal sealed record TwilioMessageResult(HttpStatusCode HttpStatus, string? Sid, string? Status, int ErrorCode, string ErrorMessage, TimeSpan? RetryAfter)
{
    public bool Created => (int)HttpStatus is >= 200 and < 300;
}

/// <summary>
/// Typed HttpClient for POST /2010-04-01/Accounts/{AccountSid}/Messages.json (the Twilio SDK is not served here).
/// Base URL, basic auth and the "twilio" resilience pipeline (timeouts, retries honouring Retry-After, breaker) are
/// configured where it is registered (ProvidersFeature). Transport failures (network, timeouts, open breaker) throw.
/// </summary>
internal sealed class TwilioMessagesClient(HttpClient http, IOptions<TwilioOptions> options)
{
    public async Task<TwilioMessageResult> SendAsync(TwilioMessageRequest message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var content = new FormUrlEncodedContent(message.Form);
        using var response = await http.PostAsync(
            new Uri($"/2010-04-01/Accounts/{Uri.EscapeDataString(options.Value.AccountSid)}/Messages.json", UriKind.Relative), content, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.IsSuccessStatusCode)
        {
            using var created = JsonDocument.Parse(body);
            var root = created.RootElement;
            return new TwilioMessageResult(response.StatusCode, root.GetProperty("sid").GetString() ?? "",
                root.TryGetProperty("status", out var s) ? s.GetString() : null, 0, "", null);
        }

        var (code, text) = TwilioError(body);
        return new TwilioMessageResult(response.StatusCode, null, null, code, text, RetryAfter(response));
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - (response.Headers.Date ?? DateTimeOffset.UtcNow),
        _ => null,
    };

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

    /// <summary>For logs and dispatch details only.</summary>
    public static string Describe(TimeSpan? retryAfter) =>
        retryAfter is { } r ? string.Create(CultureInfo.InvariantCulture, $" (Retry-After {r.TotalSeconds:0}s)") : "";
}

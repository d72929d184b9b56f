using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CommsGateway.FakeProviders;

/// <summary>
/// A local stand-in for SendGrid's <c>/v3/mail/send</c> and Twilio's Messages resource, speaking their
/// real status codes and JSON error shapes, with injectable latency, 500s, 429 + Retry-After, permanent
/// errors (Twilio's magic test numbers) and per-sender token buckets. It counts every accepted message
/// per IntentId, so tests can prove nothing reached the provider twice. Loopback only.
/// </summary>
public sealed class FakeProviderServer : IAsyncDisposable
{
    /// <summary>Twilio's magic test numbers (twilio.com/docs/iam/test-credentials) and their permanent errors.</summary>
    public const string InvalidNumber = "+15005550001";
    public const string OptedOutNumber = "+15005550004";
    public const string OutsideWindowNumber = "+15005550063";
    public const string RejectedEmailDomain = "@rejected.invalid";

    /// <summary>SendGrid's limits per mail/send request: personalizations (and recipients), substitution bytes per personalization.</summary>
    public const int MaxPersonalizations = 1000;
    public const int MaxSubstitutionBytes = 10_000;

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<AcceptedMessage> _accepted = new();
    private readonly ConcurrentDictionary<string, int> _perIntent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private long _calls;
    private long _faults;
    private long _sendGridRequests;

    /// <summary>Intents accepted more than once, counted as they reach their second (stats is polled during a 100,000-email run: no scan).</summary>
    private long _duplicateIntents;

    private FakeProviderServer(WebApplication app, FakeProviderOptions options)
    {
        _app = app;
        Options = options;
    }

    public FakeProviderOptions Options { get; }

    /// <summary>Signs SendGrid event-webhook deliveries; the gateway verifies them with its public key.</summary>
    public SendGridEventSigner EventSigner { get; } = new();

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyCollection<AcceptedMessage> Accepted => _accepted;

    /// <summary>Accepted messages per IntentId: more than 1 anywhere means something was sent twice.</summary>
    public IReadOnlyDictionary<string, int> AcceptedPerIntent => _perIntent;

    public long Calls => Interlocked.Read(ref _calls);

    public long InjectedFaults => Interlocked.Read(ref _faults);

    /// <summary>SendGrid mail/send requests received, refused ones included (one may carry up to 1,000 personalizations).</summary>
    public long SendGridRequests => Interlocked.Read(ref _sendGridRequests);

    public static async Task<FakeProviderServer> StartAsync(FakeProviderOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var server = new FakeProviderServer(app, options ?? new FakeProviderOptions());
        server.Map(app);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    public void Reset()
    {
        _accepted.Clear();
        _perIntent.Clear();
        _attempts.Clear();
        _buckets.Clear();
        Interlocked.Exchange(ref _calls, 0);
        Interlocked.Exchange(ref _faults, 0);
        Interlocked.Exchange(ref _sendGridRequests, 0);
        Interlocked.Exchange(ref _duplicateIntents, 0);
    }

    private void Map(WebApplication app)
    {
        app.MapPost("/v3/mail/send", (Func<HttpContext, Task<IResult>>)SendGridAsync);
        app.MapPost("/2010-04-01/Accounts/{accountSid}/Messages.json", (Func<HttpContext, string, Task<IResult>>)TwilioAsync);
        app.MapGet("/_fake/messages", (string? intentId) => TypedResultsJson(
            _accepted.Where(m => intentId is null || m.IntentId == intentId).OrderBy(m => m.AcceptedAt).ToList()));
        app.MapGet("/_fake/stats", () => TypedResultsJson(new
        {
            calls = Calls,
            injectedFaults = InjectedFaults,
            sendGridRequests = SendGridRequests,
            accepted = _accepted.Count,
            intents = _perIntent.Count,
            duplicates = Interlocked.Read(ref _duplicateIntents),
        }));
    }

    private static IResult TypedResultsJson<T>(T value) => Results.Json(value, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    // ---------- SendGrid: https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send ----------
    private async Task<IResult> SendGridAsync(HttpContext http)
    {
        var ct = http.RequestAborted;
        Interlocked.Increment(ref _calls);
        Interlocked.Increment(ref _sendGridRequests);
        if (http.Request.Headers.Authorization.ToString() != "Bearer " + Options.SendGridApiKey)
        {
            return SendGridError(HttpStatusCode.Unauthorized, "The provided authorization grant is invalid, expired, or revoked", null);
        }

        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: ct);
        }
        catch (JsonException)
        {
            return SendGridError(HttpStatusCode.BadRequest, "Bad Request", null);
        }

        var from = body?["from"]?["email"]?.GetValue<string>();
        if (Validate(body) is { } invalid)
        {
            return invalid;
        }

        if (from is null)
        {
            return SendGridError(HttpStatusCode.BadRequest, "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.", "from.email");
        }

        var personalizations = body!["personalizations"]!.AsArray();
        var first = personalizations[0]!;
        var firstArgs = Merge(body["custom_args"] as JsonObject, first["custom_args"] as JsonObject);
        // A retry of a request walks the same fault script: keyed by its first recipient's intent.
        if (await InjectAsync(http, firstArgs.GetValueOrDefault("intent_id") ?? first["to"]![0]!["email"]!.GetValue<string>(), ct) is { } injected)
        {
            return injected;
        }

        for (var i = 0; i < personalizations.Count; i++)
        {
            if (personalizations[i]!["to"]![0]!["email"]!.GetValue<string>().EndsWith(RejectedEmailDomain, StringComparison.OrdinalIgnoreCase))
            {
                // SendGrid refuses the whole request when one personalization is invalid.
                return SendGridError(HttpStatusCode.BadRequest, "Does not contain a valid address.", $"personalizations.{i}.to.0.email");
            }
        }

        string? text = null, html = null;
        foreach (var content in body["content"]?.AsArray() ?? [])
        {
            var type = content?["type"]?.GetValue<string>();
            var value = content?["value"]?.GetValue<string>();
            if (type == "text/plain") text = value;
            if (type == "text/html") html = value;
        }

        var categories = body["categories"]?.AsArray().Select(c => c?.GetValue<string>() ?? "").ToList() ?? [];
        var messageId = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', 'x').Replace('/', 'y');
        var now = DateTimeOffset.UtcNow;
        foreach (var personalization in personalizations)
        {
            // Each personalization is its own email: its substitutions applied to the subject and content, its headers
            // over the request's (the personalization's win on a clash), its custom_args merged over the request's.
            var substitutions = Strings(personalization!["substitutions"] as JsonObject);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var source in new[] { body["headers"] as JsonObject, personalization["headers"] as JsonObject })
            {
                foreach (var (name, value) in source ?? [])
                {
                    headers[name] = value?.GetValue<string>() ?? "";
                }
            }

            var args = Merge(body["custom_args"] as JsonObject, personalization["custom_args"] as JsonObject);
            var subject = personalization["subject"]?.GetValue<string>() ?? body["subject"]?.GetValue<string>();
            Accept(new AcceptedMessage("sendgrid", messageId, args.GetValueOrDefault("intent_id"), args.GetValueOrDefault("decision_id"), "email",
                personalization["to"]![0]!["email"]!.GetValue<string>(), from, Substitute(subject, substitutions),
                Substitute(text, substitutions), Substitute(html, substitutions), headers, categories, null, null, null, now)
            {
                FromName = body["from"]?["name"]?.GetValue<string>(),
                ReplyTo = Substitute(body["reply_to"]?["email"]?.GetValue<string>(), substitutions),
            });
        }

        http.Response.Headers["X-Message-Id"] = messageId;
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    /// <summary>SendGrid's limits (docs: mail/send, "Limitations"), with its error messages and fields.</summary>
    private static IResult? Validate(JsonNode? body)
    {
        if (body?["personalizations"] is not JsonArray personalizations || personalizations.Count == 0)
        {
            return SendGridError(HttpStatusCode.BadRequest, "The personalizations field is required and must have at least one personalization.", "personalizations");
        }

        if (personalizations.Count > MaxPersonalizations)
        {
            return SendGridError(HttpStatusCode.BadRequest, "The personalization block is limited to 1000 personalizations per API request.", "personalizations");
        }

        var recipients = 0;
        for (var i = 0; i < personalizations.Count; i++)
        {
            var personalization = personalizations[i];
            if (personalization?["to"] is not JsonArray to || to.Count == 0
                || to.Any(t => t?["email"] is not JsonValue email || string.IsNullOrWhiteSpace(email.GetValue<string>())))
            {
                return SendGridError(HttpStatusCode.BadRequest, "The to array is required for all personalization objects, and must have at least one email object with a valid email address.", $"personalizations.{i}.to");
            }

            recipients += to.Count + ((personalization["cc"] as JsonArray)?.Count ?? 0) + ((personalization["bcc"] as JsonArray)?.Count ?? 0);
            var substitutions = Strings(personalization["substitutions"] as JsonObject);
            if (substitutions.Count > 100)
            {
                return SendGridError(HttpStatusCode.BadRequest, "You may not include more than 100 substitutions per personalization object.", $"personalizations.{i}.substitutions");
            }

            if (substitutions.Sum(p => Encoding.UTF8.GetByteCount(p.Key) + Encoding.UTF8.GetByteCount(p.Value)) > MaxSubstitutionBytes)
            {
                return SendGridError(HttpStatusCode.BadRequest, "The total collective size of your substitutions may not exceed 10,000 bytes per personalization object.", $"personalizations.{i}.substitutions");
            }

            var args = Merge(body["custom_args"] as JsonObject, personalization["custom_args"] as JsonObject);
            if (args.Sum(p => Encoding.UTF8.GetByteCount(p.Key) + Encoding.UTF8.GetByteCount(p.Value ?? "")) > MaxSubstitutionBytes)
            {
                return SendGridError(HttpStatusCode.BadRequest, "The combined total size of your custom arguments may not exceed 10,000 bytes per personalization object.", $"personalizations.{i}.custom_args");
            }

            if (string.IsNullOrEmpty(personalization["subject"]?.GetValue<string>() ?? body["subject"]?.GetValue<string>()))
            {
                return SendGridError(HttpStatusCode.BadRequest, "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.", "subject");
            }
        }

        if (recipients > MaxPersonalizations)
        {
            return SendGridError(HttpStatusCode.BadRequest, "The total number of recipients must be less than 1000. This includes all recipients defined within the to, cc, and bcc parameters, across each object that you include in the personalizations array.", "personalizations");
        }

        if (body["content"] is not JsonArray content || content.Count == 0
            || content.Any(c => string.IsNullOrEmpty(c?["value"]?.GetValue<string>())))
        {
            return SendGridError(HttpStatusCode.BadRequest, "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.", "content");
        }

        return null;
    }

    private static Dictionary<string, string> Strings(JsonObject? source) =>
        source?.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "", StringComparer.Ordinal) ?? new Dictionary<string, string>(StringComparer.Ordinal);

    private static Dictionary<string, string?> Merge(JsonObject? request, JsonObject? personalization)
    {
        var merged = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var source in new[] { request, personalization })
        {
            foreach (var (name, value) in source ?? [])
            {
                merged[name] = value?.GetValue<string>();
            }
        }

        return merged;
    }

    /// <summary>
    /// SendGrid's substitution: every occurrence of a key in the text is replaced by its value, in one pass over the
    /// text (a value is not searched again); where two keys match at one place, the longer wins.
    /// </summary>
    public static string? Substitute(string? text, IReadOnlyDictionary<string, string> substitutions)
    {
        ArgumentNullException.ThrowIfNull(substitutions);
        if (text is null || substitutions.Count == 0)
        {
            return text;
        }

        var keys = substitutions.Keys.Where(k => k.Length > 0).OrderByDescending(k => k.Length).ToList();
        var starts = System.Buffers.SearchValues.Create([.. keys.Select(k => k[0]).Distinct()]);
        var result = new StringBuilder(text.Length);
        var position = 0;
        while (position < text.Length)
        {
            var offset = text.AsSpan(position).IndexOfAny(starts);
            if (offset < 0)
            {
                result.Append(text, position, text.Length - position);
                break;
            }

            var at = position + offset;
            result.Append(text, position, at - position);
            var key = keys.FirstOrDefault(k => text.AsSpan(at).StartsWith(k, StringComparison.Ordinal));
            if (key is null)
            {
                result.Append(text[at]);
                position = at + 1;
            }
            else
            {
                result.Append(substitutions[key]);
                position = at + key.Length;
            }
        }

        return result.ToString();
    }

    private static IResult SendGridError(HttpStatusCode status, string message, string? field) =>
        Results.Json(new { errors = new[] { new { message, field, help = (string?)null } } }, statusCode: (int)status);

    // ---------- Twilio: https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource ----------
    private async Task<IResult> TwilioAsync(HttpContext http, string accountSid)
    {
        var ct = http.RequestAborted;
        Interlocked.Increment(ref _calls);
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Options.TwilioAccountSid + ":" + Options.TwilioAuthToken));
        if (accountSid != Options.TwilioAccountSid || http.Request.Headers.Authorization.ToString() != expected)
        {
            return TwilioError(HttpStatusCode.Unauthorized, 20003, "Authenticate");
        }

        var form = await http.Request.ReadFormAsync(ct);
        var to = form["To"].ToString();
        var from = form["From"].ToString();
        var service = form["MessagingServiceSid"].ToString();
        var body = form["Body"].ToString();
        var contentSid = form["ContentSid"].ToString();
        var callback = form["StatusCallback"].ToString();
        if (to.Length == 0)
        {
            return TwilioError(HttpStatusCode.BadRequest, 21604, "A 'To' phone number is required.");
        }

        if (from.Length == 0 && service.Length == 0)
        {
            return TwilioError(HttpStatusCode.BadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.");
        }

        if (body.Length == 0 && contentSid.Length == 0)
        {
            return TwilioError(HttpStatusCode.BadRequest, 21602, "Message body is required.");
        }

        var intentId = QueryValue(callback, "intentId");
        var decisionId = QueryValue(callback, "decisionId");
        if (await InjectAsync(http, intentId ?? to, ct) is { } injected)
        {
            return injected;
        }

        var sender = service.Length > 0 ? service : from;
        if (!Bucket(sender).TryTake(out var wait))
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return TwilioError(HttpStatusCode.TooManyRequests, 20429, "Too Many Requests");
        }

        var number = to.StartsWith("whatsapp:", StringComparison.Ordinal) ? to["whatsapp:".Length..] : to;
        switch (number)
        {
            case InvalidNumber:
                return TwilioError(HttpStatusCode.BadRequest, 21211, $"The 'To' number {to} is not a valid phone number.");
            case OptedOutNumber:
                return TwilioError(HttpStatusCode.BadRequest, 21610, "Attempt to send to unsubscribed recipient");
            case OutsideWindowNumber when contentSid.Length == 0:
                return TwilioError(HttpStatusCode.BadRequest, 63016,
                    "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.");
        }

        var sid = "SM" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var channel = to.StartsWith("whatsapp:", StringComparison.Ordinal) ? "whatsapp" : "sms";
        Accept(new AcceptedMessage("twilio", sid, intentId, decisionId, channel, to, sender, null,
            body.Length > 0 ? body : null, null, new Dictionary<string, string>(), [], NullIfEmpty(contentSid),
            NullIfEmpty(form["ContentVariables"].ToString()), NullIfEmpty(callback), DateTimeOffset.UtcNow)
        {
            FromParameter = NullIfEmpty(from),
            MessagingServiceSid = NullIfEmpty(service),
        });
        var now = DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture);
        return Results.Json(new Dictionary<string, object?>
        {
            ["sid"] = sid,
            ["account_sid"] = accountSid,
            ["messaging_service_sid"] = NullIfEmpty(service),
            ["from"] = NullIfEmpty(from),
            ["to"] = to,
            ["body"] = body,
            ["status"] = "queued",
            ["num_segments"] = "1",
            ["direction"] = "outbound-api",
            ["api_version"] = "2010-04-01",
            ["date_created"] = now,
            ["date_updated"] = now,
            ["error_code"] = null,
            ["error_message"] = null,
            ["uri"] = $"/2010-04-01/Accounts/{accountSid}/Messages/{sid}.json",
        }, statusCode: StatusCodes.Status201Created);
    }

    private static IResult TwilioError(HttpStatusCode status, int code, string message) =>
        Results.Json(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status = (int)status }, statusCode: (int)status);

    // ---------- shared ----------

    /// <summary>Latency, then the fault script for a message chosen by <see cref="FakeProviderOptions.FaultRate"/>.</summary>
    private async Task<IResult?> InjectAsync(HttpContext http, string key, CancellationToken ct)
    {
        if (Options.Latency > TimeSpan.Zero)
        {
            // Cancelled with the request: a call the client gave up on is never accepted.
            await Task.Delay(Options.Latency, ct);
        }

        if (Options.FaultRate <= 0 || Options.FaultScript.Count == 0 || Fraction(key) >= Options.FaultRate)
        {
            return null;
        }

        var attempt = _attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (attempt > Options.FaultScript.Count)
        {
            return null;
        }

        Interlocked.Increment(ref _faults);
        var status = Options.FaultScript[attempt - 1];
        if (status == StatusCodes.Status429TooManyRequests)
        {
            http.Response.Headers.RetryAfter = Options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        return http.Request.Path.StartsWithSegments("/v3", StringComparison.Ordinal)
            ? SendGridError((HttpStatusCode)status, status == 429 ? "too many requests" : "internal error", null)
            : TwilioError((HttpStatusCode)status, status == 429 ? 20429 : 20500, status == 429 ? "Too Many Requests" : "Internal Server Error");
    }

    private void Accept(AcceptedMessage message)
    {
        _accepted.Enqueue(message);
        if (_perIntent.AddOrUpdate(message.IntentId ?? "(none)", 1, (_, n) => n + 1) == 2)
        {
            Interlocked.Increment(ref _duplicateIntents);
        }
    }

    private static double Fraction(string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return BitConverter.ToUInt32(hash, 0) / (double)uint.MaxValue;
    }

    private TokenBucket Bucket(string sender) =>
        _buckets.GetOrAdd(sender, s => new TokenBucket(Options.RatePerSecond.GetValueOrDefault(Classify(s), 1)));

    /// <summary>Twilio sender kinds by their shape: short codes are 5-6 digits, toll-free are +1 8XX.</summary>
    public static SenderKind Classify(string sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        if (sender.StartsWith("MG", StringComparison.Ordinal)) return SenderKind.MessagingService;
        if (sender.StartsWith("whatsapp:", StringComparison.Ordinal)) return SenderKind.WhatsApp;
        if (sender.Length is 5 or 6 && sender.All(char.IsAsciiDigit)) return SenderKind.ShortCode;
        string[] tollFree = ["+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888"];
        return tollFree.Any(p => sender.StartsWith(p, StringComparison.Ordinal)) ? SenderKind.TollFree : SenderKind.LongCode;
    }

    private static string? QueryValue(string url, string name)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query);
        return query.TryGetValue(name, out var value) ? value.ToString() : null;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        EventSigner.Dispose();
    }

    /// <summary>Capacity = one second's worth (at least 1), refilled continuously.</summary>
    private sealed class TokenBucket(double ratePerSecond)
    {
        private readonly Lock _gate = new();
        private readonly double _capacity = Math.Max(1, ratePerSecond);
        private double _tokens = Math.Max(1, ratePerSecond);
        private long _last = Environment.TickCount64;

        public bool TryTake(out TimeSpan wait)
        {
            lock (_gate)
            {
                var now = Environment.TickCount64;
                _tokens = Math.Min(_capacity, _tokens + ((now - _last) / 1000.0 * ratePerSecond));
                _last = now;
                if (_tokens >= 1)
                {
                    _tokens -= 1;
                    wait = TimeSpan.Zero;
                    return true;
                }

                wait = TimeSpan.FromSeconds((1 - _tokens) / ratePerSecond);
                return false;
            }
        }
    }
}

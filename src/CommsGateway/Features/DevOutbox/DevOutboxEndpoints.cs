using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using CommsGateway.Hosting;
using CommsGateway.Providers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.DevOutbox;

/// <summary>
/// <c>/dev/outbox</c>: every message the fake providers accepted, as the patient would see it (HTML email
/// rendered, links clickable). Mapped only in Development and Testing; elsewhere the route does not exist (404).
/// </summary>
public static partial class DevOutboxEndpoints
{
    public static IEndpointRouteBuilder MapDevOutbox(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var environment = endpoints.ServiceProvider.GetRequiredService<IHostEnvironment>();
        if (!environment.IsDevelopmentOrTesting())
        {
            return endpoints;
        }

        endpoints.MapGroup("/dev").MapGet("/outbox", RenderAsync).ExcludeFromDescription();
        return endpoints;
    }

    internal static async Task<ContentHttpResult> RenderAsync(IOptions<FakeProvidersOptions> options, IHttpClientFactory httpClientFactory, CancellationToken ct)
    {
        var page = new StringBuilder("""
            <!doctype html><html><head><meta charset="utf-8"><title>CommsGateway dev outbox</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;background:#f6f6f6}article{background:#fff;border-radius:8px;padding:1rem;margin:1rem 0;box-shadow:0 1px 3px #0002}
            .meta{color:#666;font-size:.85rem}.bubble{background:#dcf8c6;border-radius:12px;padding:.6rem .9rem;display:inline-block;white-space:pre-wrap;max-width:40rem}
            iframe{width:100%;min-height:18rem;border:1px solid #ddd;border-radius:4px}</style></head><body>
            <h1>Dev outbox</h1><p class="meta">What the fake SendGrid/Twilio accepted, newest first. Development and Testing only.</p>
            """);
        if (options.Value.BaseUrl is not { Length: > 0 } baseUrl)
        {
            page.Append("<p>No fake provider configured (FakeProviders:BaseUrl).</p></body></html>");
            return TypedResults.Content(page.ToString(), "text/html; charset=utf-8");
        }

        var messages = await httpClientFactory.CreateClient(FakeProviderProbe.Name)
            .GetFromJsonAsync<List<OutboxMessage>>(baseUrl.TrimEnd('/') + "/_fake/messages", ct) ?? [];
        page.Append(CultureInfoText($"<p class=\"meta\">{messages.Count} message(s).</p>"));
        foreach (var m in Enumerable.Reverse(messages))
        {
            page.Append("<article><div class=\"meta\">")
                .Append(Enc($"{m.Channel} via {m.Provider} · to {m.To} · from {m.From} · {m.AcceptedAt:u} · intent {m.IntentId}"))
                .Append("</div>");
            if (m.Subject is not null)
            {
                page.Append("<h3>").Append(Enc(m.Subject)).Append("</h3>");
            }

            foreach (var (name, value) in m.Headers ?? [])
            {
                page.Append("<div class=\"meta\">").Append(Enc(name)).Append(": ").Append(Linkify(value)).Append("</div>");
            }

            if (m.Html is not null)
            {
                // Sandboxed: the email's HTML cannot script this page; links open in a new tab.
                var html = "<base target=\"_blank\">" + m.Html;
                page.Append("<iframe sandbox=\"allow-popups allow-popups-to-escape-sandbox\" srcdoc=\"").Append(Enc(html)).Append("\"></iframe>");
            }
            else if (m.Text is not null)
            {
                page.Append("<div class=\"bubble\">").Append(Linkify(m.Text)).Append("</div>");
            }
            else if (m.ContentSid is not null)
            {
                page.Append("<div class=\"bubble\">template ").Append(Enc(m.ContentSid)).Append(' ').Append(Enc(m.ContentVariables ?? "")).Append("</div>");
            }

            page.Append("</article>");
        }

        page.Append("</body></html>");
        return TypedResults.Content(page.ToString(), "text/html; charset=utf-8");
    }

    private static string CultureInfoText(FormattableString text) => FormattableString.Invariant(text);

    private static string Enc(string value) => WebUtility.HtmlEncode(value);

    /// <summary>Plain text as the patient's phone shows it: URLs become clickable (unsubscribe short links).</summary>
    private static string Linkify(string text) =>
        UrlPattern().Replace(Enc(text), m => $"<a href=\"{m.Value}\" target=\"_blank\" rel=\"noopener\">{m.Value}</a>");

    [GeneratedRegex(@"https?://[^\s<>&""]+(?:&amp;[^\s<>&""]+)*")]
    private static partial Regex UrlPattern();

    private sealed record OutboxMessage(
        string Provider, string? IntentId, string Channel, string To, string From, string? Subject, string? Text, string? Html,
        Dictionary<string, string>? Headers, string? ContentSid, string? ContentVariables, DateTimeOffset AcceptedAt);
}

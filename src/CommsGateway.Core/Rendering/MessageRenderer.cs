using CommsGateway.Contracts;
using CommsGateway.Core.Validation;

namespace CommsGateway.Core.Rendering;

/// <summary>
/// Injects the unsubscribe means into every message whose DETECTED purpose is marketing (DOMAIN.md "Every marketing
/// message"); service messages pass unchanged. Pure: the link is minted by the caller.
/// </summary>
public static class MessageRenderer
{
    public const string ListUnsubscribe = "List-Unsubscribe";
    public const string ListUnsubscribePost = "List-Unsubscribe-Post";

    /// <summary>RFC 8058 section 3.1: the exact value announcing one-click unsubscription.</summary>
    public const string OneClick = "List-Unsubscribe=One-Click";

    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    public static RenderedMessage Render(RenderRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.DetectedPurpose != Purpose.Marketing)
        {
            return new RenderedMessage(request.Subject, request.Body, request.Html, NoHeaders);
        }

        var url = request.UnsubscribeUrl
            ?? throw new ArgumentException("A marketing message needs an unsubscribe link", nameof(request));
        if (!url.IsAbsoluteUri)
        {
            throw new ArgumentException("The unsubscribe link must be absolute", nameof(request));
        }

        var rendered = request.Channel switch
        {
            Channel.Email => Email(request, url),
            Channel.Sms => Sms(request, url),
            Channel.WhatsApp => WhatsApp(request, url),
            _ => throw new ArgumentException($"No unsubscribe means for channel {request.Channel}", nameof(request)),
        };
        return rendered with { UnsubscribeUrl = url };
    }

    private static RenderedMessage Email(RenderRequest request, Uri url)
    {
        var link = url.AbsoluteUri;
        var reason = FooterTexts.EmailReason(request.Locale, request.ClinicName);
        var label = FooterTexts.EmailLink(request.Locale);
        var preferences = request.PreferencesUrl is { IsAbsoluteUri: true } p ? p.AbsoluteUri : null;
        var preferencesLabel = FooterTexts.EmailPreferences(request.Locale);
        // The unsubscribe line stays last: it is what a reader scanning the end of the message looks for.
        var text = request.Body.TrimEnd() + "\n\n-- \n" + reason + "\n"
            + (preferences is null ? "" : preferencesLabel + FooterTexts.Colon(request.Locale) + preferences + "\n")
            + label + FooterTexts.Colon(request.Locale) + link + "\n";

        string? html = null;
        if (request.Html is not null)
        {
            // 14 px, #333 on the message's white (12.6:1): readable on a phone (WCAG 1.4.3 asks 4.5:1).
            var footer = "<div class=\"commsgw-unsubscribe\" style=\"margin-top:24px;font-size:14px;line-height:1.5;color:#333\"><p>"
                + Escape(reason) + "</p><p>"
                + (preferences is null ? "" : "<a href=\"" + Escape(preferences) + "\">" + Escape(preferencesLabel) + "</a> · ")
                + "<a href=\"" + Escape(link) + "\">"
                + Escape(label) + "</a></p></div>";
            var bodyEnd = request.Html.LastIndexOf("</body>", StringComparison.OrdinalIgnoreCase);
            html = bodyEnd >= 0 ? request.Html.Insert(bodyEnd, footer) : request.Html + footer;
        }

        // RFC 2369: angle-bracketed URIs, comma-separated, preferred first. RFC 8058 section 3.1: the header must
        // hold an HTTPS URI, and List-Unsubscribe-Post must be exactly "List-Unsubscribe=One-Click".
        var listUnsubscribe = "<" + link + ">";
        if (!string.IsNullOrWhiteSpace(request.UnsubscribeMailto))
        {
            listUnsubscribe += ", <mailto:" + request.UnsubscribeMailto.Trim() + "?subject=unsubscribe>";
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [ListUnsubscribe] = listUnsubscribe,
            [ListUnsubscribePost] = OneClick,
        };
        var fits = text.Length <= ChannelLimits.EmailBody && (html is null || html.Length <= ChannelLimits.EmailHtml);
        return new RenderedMessage(request.Subject, text, html, headers) { FooterAdded = true, FooterFits = fits };
    }

    private static RenderedMessage Sms(RenderRequest request, Uri url)
    {
        var body = request.Body.TrimEnd();
        var text = body + "\n" + FooterTexts.SmsStop(request.Locale) + FooterTexts.Colon(request.Locale) + url.AbsoluteUri;

        var segments = SmsSegments.Count(text);
        var fits = text.Length <= ChannelLimits.SmsBody && segments.Segments <= request.MaxSmsSegments;
        return new RenderedMessage(null, text, null, NoHeaders)
        {
            FooterAdded = true,
            FooterFits = fits,
            Segments = segments,
            SegmentsWithoutFooter = SmsSegments.Count(body),
        };
    }

    private static RenderedMessage WhatsApp(RenderRequest request, Uri url)
    {
        var text = request.Body.TrimEnd() + "\n\n" + FooterTexts.WhatsAppStop(request.Locale) + " " + url.AbsoluteUri;
        return new RenderedMessage(null, text, null, NoHeaders)
        {
            FooterAdded = true,
            FooterFits = text.Length <= ChannelLimits.WhatsAppBody,
        };
    }

    /// <summary>Escapes text and attribute values; leaves accents as they are (the HTML part is UTF-8).</summary>
    public static string Escape(string value) => value
        .Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\"", "&quot;", StringComparison.Ordinal)
        .Replace("'", "&#39;", StringComparison.Ordinal);
}

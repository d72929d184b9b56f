using System.Globalization;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Features.Preferences;

/// <summary>
/// The frame of every patient page (unsubscribe, preferences, confirmation, receipts): the clinic's name, logo,
/// colour, contact and privacy notice; phone-first; no script, no external resource but the clinic's logo.
/// </summary>
internal static class PatientPage
{
    public const string Html = "text/html; charset=utf-8";

    /// <summary>
    /// The headers of every patient page: the token is in the URL, so no Referer leaks it; never cached, framed or indexed.
    /// Images only over https (the clinic's logo).
    /// </summary>
    public static void SecureHeaders(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = response.Headers;
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers["X-Content-Type-Options"] = "nosniff";
        headers["X-Robots-Tag"] = "noindex";
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    }

    /// <summary>A group of patient pages (a token in the URL): every response carries <see cref="SecureHeaders"/>.</summary>
    public static RouteGroupBuilder MapPatientPages(this IEndpointRouteBuilder endpoints, string prefix) =>
        endpoints.MapGroup(prefix).AddEndpointFilter(async (context, next) =>
        {
            SecureHeaders(context.HttpContext.Response);
            return await next(context);
        });

    public static string E(string? text) => MessageRenderer.Escape(text ?? "");

    public static bool Fr(UnsubscribeLocale locale) => locale == UnsubscribeLocale.Fr;

    public static string T(UnsubscribeLocale locale, string fr, string en) => locale == UnsubscribeLocale.Fr ? fr : en;

    public static string Date(UnsubscribeLocale locale, DateTimeOffset at) =>
        at.UtcDateTime.ToString(Fr(locale) ? "d MMMM yyyy 'à' HH:mm 'UTC'" : "d MMMM yyyy 'at' HH:mm 'UTC'",
            CultureInfo.GetCultureInfo(Fr(locale) ? "fr-FR" : "en-GB"));

    /// <summary>The page in the other language: the same path, lang switched (no personal data in the query).</summary>
    public static string SwitchLink(UnsubscribeLocale locale, string? path) => path is null
        ? ""
        : Fr(locale)
            ? $"""<a href="{E(path)}?lang=en" lang="en" hreflang="en">English</a>"""
            : $"""<a href="{E(path)}?lang=fr" lang="fr" hreflang="fr">Français</a>""";

    public static string Layout(UnsubscribeLocale locale, ClinicBrand? brand, string title, string body, string? switchPath = null)
    {
        var color = brand?.EffectiveColor ?? ClinicBrand.DefaultColor;
        var header = brand is null
            ? ""
            : $"""
              <header class="brand">
              {(brand.LogoUrl is { } logo ? $"""<img src="{E(logo)}" alt="" width="48" height="48">""" : "")}
              <span class="clinic">{E(brand.Name)}</span>
              <nav aria-label="{E(T(locale, "Langue", "Language"))}">{SwitchLink(locale, switchPath)}</nav>
              </header>
              """;
        var footer = brand is null
            ? ""
            : $"""
              <footer>
              {(brand.Contact is { Length: > 0 } contact ? $"<p>{E(T(locale, "Contacter la clinique : ", "Contact the clinic: "))}{E(contact)}</p>" : "")}
              {(brand.PrivacyNoticeUrl is { } privacy ? $"""<p><a href="{E(privacy)}">{E(T(locale, "Politique de confidentialité", "Privacy notice"))}</a></p>""" : "")}
              </footer>
              """;
        return $$"""
            <!doctype html>
            <html lang="{{(Fr(locale) ? "fr" : "en")}}">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex">
            <title>{{E(title)}}{{(brand is null ? "" : " – " + E(brand.Name))}}</title>
            <style>
              :root { --brand: {{color}}; }
              * { box-sizing: border-box; }
              body { font: 1.05rem/1.5 system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #f6f6f4; }
              header.brand, main, footer { max-width: 36rem; margin: 0 auto; padding: 1rem; }
              header.brand { display: flex; align-items: center; gap: .75rem; }
              header.brand .clinic { font-weight: 700; font-size: 1.1rem; flex: 1; }
              header.brand img { border-radius: 6px; }
              main { background: #fff; border-radius: 8px; padding: 1.25rem; }
              h1 { font-size: 1.45rem; margin-top: 0; }
              h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
              h3 { font-size: 1.05rem; margin: 0 0 .25rem; }
              a { color: var(--brand); }
              a:focus-visible, button:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid #b45309; outline-offset: 2px; }
              form { margin: .75rem 0; }
              button, a.button { display: block; width: 100%; font: inherit; text-align: center; text-decoration: none; min-height: 2.75rem;
                padding: .7rem 1rem; border-radius: 6px; border: 2px solid var(--brand); background: var(--brand); color: #fff; cursor: pointer; }
              button.secondary, a.button.secondary { background: #fff; color: var(--brand); }
              form.choice { display: flex; flex-direction: column; gap: .75rem; margin: 1.5rem 0; }
              ul.items { list-style: none; padding: 0; margin: 0; }
              ul.items > li { border-top: 1px solid #ddd; padding: .9rem 0; }
              .state { font-weight: 600; margin: .25rem 0; }
              .state.on { color: #166534; }
              .state.off { color: #4a4a4a; }
              .note { color: #444; font-size: .95rem; }
              blockquote { margin: .5rem 0; padding: .5rem .75rem; border-left: 4px solid var(--brand); background: #f6f6f4; }
              .check { display: flex; gap: .75rem; align-items: flex-start; margin: 1rem 0; }
              .check input { width: 1.5rem; height: 1.5rem; margin-top: .15rem; flex: none; }
              .hash { font-family: ui-monospace, monospace; font-size: .85rem; word-break: break-all; color: #444; }
              [role=status], .alert { border-radius: 6px; padding: .75rem 1rem; margin-bottom: 1rem; background: #ecfdf5; border: 1px solid #166534; }
              .alert { background: #fef2f2; border-color: #991b1b; }
              footer { font-size: .95rem; color: #333; }
              fieldset { border: 0; padding: 0; margin: 1.25rem 0; }
              legend { font-weight: 700; font-size: 1.15rem; margin-bottom: .25rem; }
              .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
            </style>
            </head>
            <body>
            {{header}}
            <main>
            {{body}}
            </main>
            {{footer}}
            </body>
            </html>
            """;
    }
}

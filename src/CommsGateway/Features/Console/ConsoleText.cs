using CommsGateway.Contracts;

namespace CommsGateway.Features.Console;

/// <summary>
/// The console's language (French or English: ?lang= chosen once and remembered in a cookie, else the browser's
/// Accept-Language) and the plain-words sentences of decisions (reason codes stay the stored, stable values).
/// </summary>
public static class ConsoleText
{
    public const string LanguageCookie = "commsgw-lang";

    public static string Resolve(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var chosen = http.Request.Query["lang"].ToString();
        if (chosen is "fr" or "en")
        {
            return chosen;
        }

        if (http.Request.Cookies.TryGetValue(LanguageCookie, out var cookie) && cookie is "fr" or "en")
        {
            return cookie;
        }

        var accept = http.Request.GetTypedHeaders().AcceptLanguage;
        var best = accept.OrderByDescending(l => l.Quality ?? 1).Select(l => l.Value.Value ?? "").FirstOrDefault(l => l.Length >= 2);
        return best is not null && best.StartsWith("fr", StringComparison.OrdinalIgnoreCase) ? "fr" : "en";
    }

    /// <summary>Keeps a language chosen with ?lang= for the next pages.</summary>
    public static void Remember(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var chosen = http.Request.Query["lang"].ToString();
        if (chosen is "fr" or "en")
        {
            http.Response.Cookies.Append(LanguageCookie, chosen, new CookieOptions
            {
                Path = "/console", HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, MaxAge = TimeSpan.FromDays(365),
            });
        }
    }

    /// <summary>"c•••@example.org": enough to confirm an address with the patient, not to write to it.</summary>
    public static string MaskEmail(string? email)
    {
        if (string.IsNullOrEmpty(email))
        {
            return "";
        }

        var at = email.IndexOf('@', StringComparison.Ordinal);
        return at <= 0 ? "•••" : email[0] + "•••" + email[at..];
    }

    /// <summary>"+33 •• •• •• 78": the last two digits only.</summary>
    public static string MaskPhone(string? phone) =>
        string.IsNullOrEmpty(phone) ? "" : phone.Length <= 4 ? "•••" : phone[..3] + " •• •• •• " + phone[^2..];

    /// <summary>The reason as a sentence a patient or a DPO understands.</summary>
    public static string Reason(string code, bool fr) => Core.Decisions.ReasonWords.Of(code, Core.Decisions.Audience.Staff, fr);
}

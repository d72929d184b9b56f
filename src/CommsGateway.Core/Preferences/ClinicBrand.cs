using System.Globalization;

namespace CommsGateway.Core.Preferences;

/// <summary>How a clinic's patient pages look: every field optional, checked by <see cref="Check"/> before it is stored.</summary>
public sealed record ClinicBrand(string Name)
{
    /// <summary>Buttons and links when the clinic set no colour (8.6:1 on white).</summary>
    public const string DefaultColor = "#1d4ed8";

    /// <summary>WCAG 2.x 1.4.3: normal text needs 4.5:1; the brand colour carries white button text and links on white.</summary>
    public const double MinContrast = 4.5;

    public string? LogoUrl { get; init; }

    public string? Color { get; init; }

    /// <summary>How to reach the clinic (phone, address, email), shown as text.</summary>
    public string? Contact { get; init; }

    public string? PrivacyNoticeUrl { get; init; }

    public string EffectiveColor => Color ?? DefaultColor;

    /// <summary>The settable fields, as the CLI and the tenants columns name them.</summary>
    public static readonly IReadOnlyList<string> Fields = ["brand_name", "brand_logo_url", "brand_color", "brand_contact", "privacy_notice_url"];

    /// <summary>Null when the value may be stored for the field (an empty value clears it), else why not.</summary>
    public static string? Check(string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (Validation.Identifiers.FirstForbidden(value) is not null)
        {
            return $"{field}: no control, bidi or zero-width characters";
        }

        return field switch
        {
            "brand_name" => value.Length > 120 ? "brand_name: at most 120 characters" : null,
            "brand_contact" => value.Length > 300 ? "brand_contact: at most 300 characters" : null,
            "brand_logo_url" or "privacy_notice_url" => IsHttpsUrl(value) ? null : $"{field}: an absolute https URL of at most 500 characters",
            "brand_color" => ParseHex(value) is null
                ? "brand_color: a colour like #1d4ed8"
                : ContrastWithWhite(value) is var ratio && ratio < MinContrast
                    ? string.Create(CultureInfo.InvariantCulture, $"brand_color: {value} on white has a contrast of {ratio:0.00}:1; at least {MinContrast}:1 is needed (WCAG 1.4.3)")
                    : null,
            _ => $"{field}: not a brand field",
        };
    }

    public static bool IsHttpsUrl(string value) =>
        value.Length <= 500 && Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps && !string.IsNullOrEmpty(url.Host);

    /// <summary>The WCAG contrast ratio of a #rrggbb colour against white, or 0 when it is not one.</summary>
    public static double ContrastWithWhite(string hex)
    {
        if (ParseHex(hex) is not { } rgb)
        {
            return 0;
        }

        var luminance = 0.2126 * Linear(rgb.R) + 0.7152 * Linear(rgb.G) + 0.0722 * Linear(rgb.B);
        return 1.05 / (luminance + 0.05);
    }

    private static double Linear(int channel)
    {
        var c = channel / 255.0;
        return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
    }

    private static (int R, int G, int B)? ParseHex(string value)
    {
        if (value is not { Length: 7 } || value[0] != '#' || !value.AsSpan(1).ContainsOnlyHex())
        {
            return null;
        }

        return (Convert.ToInt32(value[1..3], 16), Convert.ToInt32(value[3..5], 16), Convert.ToInt32(value[5..7], 16));
    }
}

internal static class HexSpanExtensions
{
    public static bool ContainsOnlyHex(this ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>The origins a clinic may embed its hosted consent form from (CSP frame-ancestors).</summary>
public static class CaptureFormOrigins
{
    /// <summary>"https://clinic.example" or "https://clinic.example:8443" normalised, or null when it is not an https origin.</summary>
    public static string? Normalise(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 200 || !Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url)
            || url.Scheme != Uri.UriSchemeHttps || url.AbsolutePath != "/" || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment)
            || !string.IsNullOrEmpty(url.UserInfo) || url.HostNameType == UriHostNameType.Unknown)
        {
            return null;
        }

        return url.GetLeftPart(UriPartial.Authority); // Uri already lower-cases scheme and host
    }
}

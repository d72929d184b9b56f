using System.Text.RegularExpressions;

namespace CommsGateway.Core.Privacy;

/// <summary>
/// The logging safety net: replaces email addresses and phone numbers (E.164, "00" international and French/UK
/// national forms, with spaces, dots or dashes) by a fixed token. Code must not log them in the first place
/// (data minimisation, GDPR art. 5(1)(c)); this catches what slips through, e.g. inside an exception message.
/// </summary>
public static partial class PersonalDataMask
{
    public const string EmailToken = "[email]";
    public const string PhoneToken = "[phone]";

    // Local part per RFC 5322 dot-atom (practical subset); a domain with at least one dot.
    [GeneratedRegex(@"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+",
        RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    // International (+ or 00) with optional "(0)", or national trunk prefix 0 then 8 to 10 more digits; separators
    // are single spaces, dots or dashes. Not inside a longer word or decimal number (ids, timestamps, GUIDs stay).
    [GeneratedRegex(@"(?<![\w+.])(?:(?:\+|00)[1-9]\d{0,2}(?:[ .\-]?\(0\))?(?:[ .\-]?\d){6,13}|0[1-9](?:[ .\-]?\d){8,9})(?!\w)",
        RegexOptions.CultureInvariant)]
    private static partial Regex Phone();

    /// <summary>The text with every email address and phone number replaced; the same instance when nothing matched.</summary>
    public static string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length < 7)
        {
            return text;
        }

        var masked = text.Contains('@', StringComparison.Ordinal) ? Email().Replace(text, EmailToken) : text;
        return ContainsDigitRun(masked) ? Phone().Replace(masked, PhoneToken) : masked;
    }

    /// <summary>True when the text holds an email address or a phone number.</summary>
    public static bool ContainsPersonalData(string text) => Mask(text) != text;

    // Cheap pre-check: no phone number without at least 7 digits in the text.
    private static bool ContainsDigitRun(string text)
    {
        var digits = 0;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c) && ++digits >= 7)
            {
                return true;
            }
        }

        return false;
    }
}

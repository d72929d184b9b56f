using System.Globalization;
using System.Text;

namespace CommsGateway.Core.Unsubscribe;

public enum KeywordIntent
{
    None = 0,
    OptOut,
    OptIn,

    /// <summary>HELP / AIDE / INFO: answered with the clinic's name and contact; consent unchanged.</summary>
    Help,
}

/// <summary>
/// Inbound SMS/WhatsApp keywords. The whole message counts (NFKC-normalised so fullwidth "ＳＴＯＰ" is STOP, case- and
/// accent-insensitive, surrounding punctuation, symbols, emoji and whitespace ignored), never a word
/// inside a sentence: "je ne veux pas que ça s'arrête" must not unsubscribe anyone. Twilio's own Advanced Opt-Out
/// sends OptOutType=STOP|START, which wins over the body. "STOP SMS" is the French operators' wording (the
/// mention French commercial SMS carry), so patients type it back as is.
/// </summary>
public static class StopKeywords
{
    private static readonly HashSet<string> OptOut =
        new(["STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT", "ARRET", "STOP SMS"], StringComparer.Ordinal);

    private static readonly HashSet<string> OptIn = new(["START", "YES", "UNSTOP"], StringComparer.Ordinal);

    private static readonly HashSet<string> Help = new(["HELP", "AIDE", "INFO"], StringComparer.Ordinal);

    public static KeywordIntent Match(string? body, string? optOutType = null)
    {
        if (!string.IsNullOrWhiteSpace(optOutType))
        {
            switch (optOutType.Trim().ToUpperInvariant())
            {
                case "STOP":
                    return KeywordIntent.OptOut;
                case "START":
                    return KeywordIntent.OptIn;
            }
        }

        if (string.IsNullOrWhiteSpace(body))
        {
            return KeywordIntent.None;
        }

        var keyword = Normalize(body);
        return OptOut.Contains(keyword) ? KeywordIntent.OptOut
            : OptIn.Contains(keyword) ? KeywordIntent.OptIn
            : Help.Contains(keyword) ? KeywordIntent.Help
            : KeywordIntent.None;
    }

    /// <summary>
    /// The keyword form of a message: NFKC (fullwidth and other compatibility forms become plain letters), upper case
    /// without diacritics, inner whitespace as one space, and anything that is not a letter or digit at either end
    /// dropped ("Stop.", "STOP!", "« stop »", "STOP 🛑" are how people type on phones; they do not change the meaning).
    /// </summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var folded = Fold(text.Normalize(NormalizationForm.FormKC));
        var runes = folded.EnumerateRunes().ToList();
        var start = 0;
        var end = runes.Count;
        while (start < end && !Rune.IsLetterOrDigit(runes[start]))
        {
            start++;
        }

        while (end > start && !Rune.IsLetterOrDigit(runes[end - 1]))
        {
            end--;
        }

        return string.Concat(runes.Skip(start).Take(end - start).Select(r => r.ToString()));
    }

    /// <summary>Upper case without diacritics, inner whitespace as one space: "Arrêt" -> "ARRET", "Stop  sms" -> "STOP SMS".</summary>
    private static string Fold(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (char.IsWhiteSpace(c))
            {
                if (builder.Length > 0 && builder[^1] != ' ')
                {
                    builder.Append(' ');
                }
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(c) is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.Format))
            {
                builder.Append(char.ToUpperInvariant(c));
            }
        }

        return builder.ToString();
    }
}

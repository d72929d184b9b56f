using System.Globalization;
using System.Text;

namespace CommsGateway.Core.Unsubscribe;

public enum KeywordIntent
{
    None = 0,
    OptOut,
    OptIn,
}

/// <summary>
/// Inbound SMS/WhatsApp keywords. The whole message counts (trimmed, case- and accent-insensitive), never a word
/// inside a sentence: "je ne veux pas que ça s'arrête" must not unsubscribe anyone. Twilio's own Advanced Opt-Out
/// sends OptOutType=STOP|START, which wins over the body. "STOP SMS" is the French operators' wording (the
/// mention French commercial SMS carry), so patients type it back as is.
/// </summary>
public static class StopKeywords
{
    private static readonly HashSet<string> OptOut =
        new(["STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT", "ARRET", "STOP SMS"], StringComparer.Ordinal);

    private static readonly HashSet<string> OptIn = new(["START", "YES", "UNSTOP"], StringComparer.Ordinal);

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

        // Trailing "." or "!" ("Stop.", "STOP!") is how people type on phones; it does not change the meaning.
        var keyword = Fold(body.Trim().TrimEnd('.', '!').TrimEnd());
        return OptOut.Contains(keyword) ? KeywordIntent.OptOut
            : OptIn.Contains(keyword) ? KeywordIntent.OptIn
            : KeywordIntent.None;
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
            else if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(char.ToUpperInvariant(c));
            }
        }

        return builder.ToString();
    }
}

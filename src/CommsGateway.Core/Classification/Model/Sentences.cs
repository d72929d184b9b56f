using System.Globalization;

namespace CommsGateway.Core.Classification.Model;

/// <summary>
/// Splits text as the patient sees it into sentences: at line breaks, bullets, emojis, and '.', '!', '?', ';'
/// or '…' followed by a space or the end ("72.25", "www.clinique.fr" and "10h30" stay whole). The end
/// punctuation stays with its sentence ("Want one?"); surrounding spaces, dashes and bullets are trimmed.
/// </summary>
internal static class Sentences
{
    /// <summary>Finds the next sentence at or after <paramref name="from"/>; false when none is left.</summary>
    public static bool Next(ReadOnlySpan<char> text, ref int from, out int start, out int length)
    {
        while (from < text.Length)
        {
            var begin = from;
            var end = text.Length;
            var next = text.Length;
            for (var i = begin; i < text.Length; i++)
            {
                var c = text[i];
                if (IsLineBreak(c))
                {
                    end = i;
                    next = i + 1;
                    break;
                }

                if (c is '.' or '!' or '?' or ';' or '…' && (i + 1 == text.Length || char.IsWhiteSpace(text[i + 1]) || IsLineBreak(text[i + 1]) || text[i + 1] is '"' or ')' or '»' or '”'))
                {
                    end = i + 1;
                    next = i + 1;
                    break;
                }
            }

            from = next;
            var trimmed = Trim(text, begin, end, out start);
            if (trimmed > 0 && HasLetterOrDigit(text.Slice(start, trimmed)))
            {
                length = trimmed;
                return true;
            }
        }

        start = 0;
        length = 0;
        return false;
    }

    /// <summary>Breaks that end a thought without punctuation: new lines, bullets, and emojis (surrogates and symbols).</summary>
    private static bool IsLineBreak(char c) =>
        c is '\n' or '\r' or '\u2028' or '\u2029' or '•' or '·' or '▪' or '►' or '✓' or '✔'
        || char.IsSurrogate(c) || (c > 0x2000 && char.GetUnicodeCategory(c) == UnicodeCategory.OtherSymbol);

    private static int Trim(ReadOnlySpan<char> text, int begin, int end, out int start)
    {
        // A dash opening a list item goes; "-20 %" keeps its sign.
        while (begin < end && (char.IsWhiteSpace(text[begin]) || text[begin] is '*' or '>' or '|' or '\u200D' or '\uFE0F'
                               || (text[begin] is '-' or '–' or '—' && begin + 1 < end && char.IsWhiteSpace(text[begin + 1]))))
        {
            begin++;
        }

        while (end > begin && (char.IsWhiteSpace(text[end - 1]) || text[end - 1] is '\u200D' or '\uFE0F'))
        {
            end--;
        }

        start = begin;
        return end - begin;
    }

    private static bool HasLetterOrDigit(ReadOnlySpan<char> sentence)
    {
        foreach (var c in sentence)
        {
            if (char.IsLetterOrDigit(c))
            {
                return true;
            }
        }

        return false;
    }
}

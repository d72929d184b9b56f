using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
            for (var i = NextStop(text, begin); i < text.Length; i = NextStop(text, i + 1))
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

    /// <summary>
    /// The first character at or after <paramref name="i"/> that may end a sentence (a line break, end punctuation, or
    /// anything outside ASCII), eight at a time, or the end: the characters skipped are neither breaks nor punctuation.
    /// </summary>
    private static int NextStop(ReadOnlySpan<char> text, int i)
    {
        ref var chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        for (; i + 8 <= text.Length; i += 8)
        {
            var v = Vector128.LoadUnsafe(ref chars, (nuint)i);
            var stops = Vector128.Equals(v, Vector128.Create((ushort)'\n')) | Vector128.Equals(v, Vector128.Create((ushort)'\r'))
                | Vector128.Equals(v, Vector128.Create((ushort)'.')) | Vector128.Equals(v, Vector128.Create((ushort)'!'))
                | Vector128.Equals(v, Vector128.Create((ushort)'?')) | Vector128.Equals(v, Vector128.Create((ushort)';'))
                | Vector128.GreaterThan(v, Vector128.Create((ushort)0x7F));
            var mask = stops.ExtractMostSignificantBits();
            if (mask != 0)
            {
                return i + BitOperations.TrailingZeroCount(mask);
            }
        }

        for (; i < text.Length; i++)
        {
            if (text[i] is '\n' or '\r' or '.' or '!' or '?' or ';' or > '\u007F')
            {
                return i;
            }
        }

        return text.Length;
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

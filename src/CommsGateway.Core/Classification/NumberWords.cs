using System.Buffers;

namespace CommsGateway.Core.Classification;

/// <summary>
/// Discounts spelled out in words, French and English, rewritten in the figures the rules key on:
/// "twenty percent off" → "20% off", "cinquante pour cent de réduction" → "50% de réduction",
/// "half off" → "50% off", "trois pour deux" → "3 pour 2". Number words are rewritten only in these
/// constructions: "un rendez-vous" or "one dose" stay words. Never lengthens the text.
/// </summary>
internal static class NumberWords
{
    private const int MaxWord = 16;
    private const int MaxWords = 8;

    private static readonly Dictionary<string, int> Values = new(StringComparer.Ordinal)
    {
        ["zero"] = 0, ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7,
        ["eight"] = 8, ["nine"] = 9, ["ten"] = 10, ["eleven"] = 11, ["twelve"] = 12, ["thirteen"] = 13, ["fourteen"] = 14,
        ["fifteen"] = 15, ["sixteen"] = 16, ["seventeen"] = 17, ["eighteen"] = 18, ["nineteen"] = 19, ["twenty"] = 20,
        ["thirty"] = 30, ["forty"] = 40, ["fifty"] = 50, ["sixty"] = 60, ["seventy"] = 70, ["eighty"] = 80, ["ninety"] = 90,
        ["hundred"] = 100,
        ["un"] = 1, ["une"] = 1, ["deux"] = 2, ["trois"] = 3, ["quatre"] = 4, ["cinq"] = 5, ["sept"] = 7, ["huit"] = 8,
        ["neuf"] = 9, ["dix"] = 10, ["onze"] = 11, ["douze"] = 12, ["treize"] = 13, ["quatorze"] = 14, ["quinze"] = 15,
        ["seize"] = 16, ["vingt"] = 20, ["vingts"] = 20, ["trente"] = 30, ["quarante"] = 40, ["cinquante"] = 50,
        ["soixante"] = 60, ["cent"] = 100,
    };

    private static readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> Lookup = Values.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly SearchValues<string> Anchors =
        SearchValues.Create(["cent", "%", "half", "pour", "for"], StringComparison.OrdinalIgnoreCase);

    /// <summary>Rewrites the spelled-out discounts of <paramref name="text"/> into <paramref name="destination"/> (at least as long).</summary>
    public static int Rewrite(ReadOnlySpan<char> text, Span<char> destination)
    {
        var n = 0;
        var copied = 0;
        var from = 0;
        while (from < text.Length)
        {
            var k = text[from..].IndexOfAny(Anchors);
            if (k < 0)
            {
                break;
            }

            var at = from + k;
            from = at + 1;
            if (!TryMatch(text, at, copied, out var start, out var end, out var first, out var second, out var kind, out var english))
            {
                continue;
            }

            text[copied..start].CopyTo(destination[n..]);
            n += start - copied;
            if (first >= 0)
            {
                n += Write(first, destination[n..]);
            }

            if (kind == Kind.Percent)
            {
                destination[n++] = '%';
            }
            else
            {
                var word = english ? " for " : " pour ";
                word.CopyTo(destination[n..]);
                n += word.Length;
                n += Write(second, destination[n..]);
            }

            copied = end;
            from = end;
        }

        text[copied..].CopyTo(destination[n..]);
        return n + text.Length - copied;
    }

    private enum Kind
    {
        Percent,
        XForY,
    }

    private static bool TryMatch(
        ReadOnlySpan<char> text, int at, int floor, out int start, out int end, out int first, out int second, out Kind kind, out bool english)
    {
        start = end = first = second = 0;
        kind = Kind.Percent;
        english = false;
        if (text[at] == '%')
        {
            // "vingt %": a number in words right before the sign.
            end = at + 1;
            return Before(text, at, floor, out start, out first) && first >= 0;
        }

        var (wordStart, wordEnd) = WordAround(text, at);
        Span<char> buffer = stackalloc char[MaxWord];
        var word = Fold(text[wordStart..wordEnd], buffer);
        if (word.SequenceEqual("percent") || word.SequenceEqual("pourcent"))
        {
            end = wordEnd;
            return Before(text, wordStart, floor, out start, out first);
        }

        if (word.SequenceEqual("cent"))
        {
            // "pour cent", "per cent" (a lone "cent" is the number, read by Before).
            var previous = PreviousWord(text, wordStart, floor);
            if (previous.Start < 0)
            {
                return false;
            }

            Span<char> previousBuffer = stackalloc char[MaxWord];
            var before = Fold(text[previous.Start..previous.End], previousBuffer);
            if (!before.SequenceEqual("pour") && !before.SequenceEqual("per"))
            {
                return false;
            }

            end = wordEnd;
            return Before(text, previous.Start, floor, out start, out first);
        }

        if (word.SequenceEqual("half"))
        {
            // "half off" → "50% off"; "half price" is already in the lexicon.
            var next = NextWord(text, wordEnd);
            Span<char> nextBuffer = stackalloc char[MaxWord];
            if (next.Start < 0 || !Fold(text[next.Start..next.End], nextBuffer).SequenceEqual("off"))
            {
                return false;
            }

            start = wordStart;
            end = wordEnd;
            first = 50;
            return true;
        }

        if (word.SequenceEqual("pour") || word.SequenceEqual("for"))
        {
            // "trois pour deux", "three for two": a multi-buy.
            if (!Before(text, wordStart, floor, out start, out first) || !After(text, wordEnd, out end, out second))
            {
                return false;
            }

            kind = Kind.XForY;
            english = word[0] == 'f';
            return first is >= 2 and <= 10 && second >= 1 && second < first && start < wordStart;
        }

        return false;
    }

    /// <summary>
    /// A number spelled in words ending right before <paramref name="position"/> (spaces between); or figures,
    /// whose value stays as written (<paramref name="value"/> -1, <paramref name="start"/> right after them).
    /// </summary>
    private static bool Before(ReadOnlySpan<char> text, int position, int floor, out int start, out int value)
    {
        start = position;
        value = 0;
        var figures = position;
        while (figures > floor && text[figures - 1] is ' ' or '\u00A0')
        {
            figures--;
        }

        if (figures > floor && char.IsAsciiDigit(text[figures - 1]))
        {
            start = figures;
            value = -1;
            return true;
        }

        var earliest = -1;
        var cursor = position;
        Span<char> buffer = stackalloc char[MaxWord];
        for (var words = 0; words < MaxWords; words++)
        {
            var previous = PreviousWord(text, cursor, floor);
            if (previous.Start < 0)
            {
                break;
            }

            var word = Fold(text[previous.Start..previous.End], buffer);
            if (Lookup.ContainsKey(word))
            {
                earliest = previous.Start;
            }
            else if (!word.SequenceEqual("et") && !word.SequenceEqual("and"))
            {
                break;
            }

            cursor = previous.Start;
        }

        if (earliest < 0)
        {
            return false;
        }

        start = earliest;
        return Parse(text[earliest..position], out value);
    }

    private static bool After(ReadOnlySpan<char> text, int position, out int end, out int value)
    {
        end = position;
        value = 0;
        var next = NextWord(text, position);
        Span<char> buffer = stackalloc char[MaxWord];
        if (next.Start < 0 || !Lookup.TryGetValue(Fold(text[next.Start..next.End], buffer), out value))
        {
            return false;
        }

        end = next.End;
        return true;
    }

    /// <summary>"quatre-vingt-quinze" = 95, "twenty five" = 25, "vingt et un" = 21, "cent" = 100.</summary>
    private static bool Parse(ReadOnlySpan<char> words, out int value)
    {
        value = 0;
        var any = false;
        var last = 0;
        Span<char> buffer = stackalloc char[MaxWord];
        var i = 0;
        while (i < words.Length)
        {
            if (!char.IsLetter(words[i]))
            {
                i++;
                continue;
            }

            var end = i;
            while (end < words.Length && char.IsLetter(words[end]))
            {
                end++;
            }

            var word = Fold(words[i..end], buffer);
            i = end;
            if (!Lookup.TryGetValue(word, out var v))
            {
                continue;
            }

            if (v == 100)
            {
                value = Math.Max(value, 1) * 100;
            }
            else if (v == 20 && last == 4)
            {
                // "quatre-vingt(s)".
                value += 80 - 4;
            }
            else
            {
                value += v;
            }

            last = v;
            any = true;
        }

        return any && value <= 100;
    }

    private static (int Start, int End) WordAround(ReadOnlySpan<char> text, int at)
    {
        var start = at;
        while (start > 0 && char.IsLetter(text[start - 1]))
        {
            start--;
        }

        var end = at;
        while (end < text.Length && char.IsLetter(text[end]))
        {
            end++;
        }

        return (start, end);
    }

    /// <summary>The word before <paramref name="position"/>, separated from it by spaces or one hyphen only.</summary>
    private static (int Start, int End) PreviousWord(ReadOnlySpan<char> text, int position, int floor)
    {
        var end = position;
        while (end > floor && text[end - 1] is ' ' or '-' or '\u00A0')
        {
            end--;
        }

        var start = end;
        while (start > floor && char.IsLetter(text[start - 1]))
        {
            start--;
        }

        return start == end || (start > 0 && char.IsLetterOrDigit(text[start - 1])) ? (-1, -1) : (start, end);
    }

    private static (int Start, int End) NextWord(ReadOnlySpan<char> text, int position)
    {
        var start = position;
        while (start < text.Length && text[start] is ' ' or '-' or '\u00A0')
        {
            start++;
        }

        var end = start;
        while (end < text.Length && char.IsLetter(text[end]))
        {
            end++;
        }

        return start == end || (end < text.Length && char.IsDigit(text[end])) ? (-1, -1) : (start, end);
    }

    /// <summary>Lower case, accents off ("Zéro" → "zero"); an over-long word folds to nothing.</summary>
    private static ReadOnlySpan<char> Fold(ReadOnlySpan<char> word, Span<char> buffer)
    {
        if (word.Length > MaxWord)
        {
            return [];
        }

        var n = 0;
        foreach (var c in word)
        {
            buffer[n++] = c switch
            {
                'é' or 'É' or 'è' or 'È' => 'e',
                _ => char.ToLowerInvariant(c),
            };
        }

        return buffer[..n];
    }

    private static int Write(int value, Span<char> destination)
    {
        value.TryFormat(destination, out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        return written;
    }
}

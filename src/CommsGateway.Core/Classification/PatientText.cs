using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace CommsGateway.Core.Classification;

/// <summary>
/// The text as the patient sees it: what a screen shows, read the way a person reads it, so that a
/// promotion disguised for a filter ("Peeling －２０％", "p r o m o", "рromo" with a Cyrillic р, "PR0M0",
/// "p🔥r🔥o🔥m🔥o", a right-to-left override, "&amp;percnt;") reaches the classifiers as the plain words it
/// shows. In order: HTML rendered to text; bidi overrides resolved to display order; invisible
/// characters removed; enclosed and keycap letters and digits, other digit scripts and Latin small
/// capitals mapped; Unicode NFKC; symbols wedged between the letters of a word removed; letter-spaced
/// words rejoined; look-alike letters of other scripts folded in words that are otherwise Latin; digits
/// standing for letters read as letters; discounts spelled out in words written in figures.
/// Case, accents, punctuation and line breaks are kept: the rules fold them afterwards, and the model
/// scores sentence by sentence. Pure and deterministic; the span form allocates nothing.
/// See docs/classification-text.md.
/// </summary>
public static class PatientText
{
    private const char Rlo = '\u202E';
    private const char Pdf = '\u202C';

    /// <summary>
    /// The destination size <see cref="Reveal(ReadOnlySpan{char}, bool, Span{char})"/> needs for an input of
    /// <paramref name="inputLength"/> characters: 4 × length + 8. NFKC is the only step that lengthens text,
    /// by at most 4 characters per character ("⑽" → "(10)"); the few characters that expand further
    /// (U+FDFA, squared katakana words) are kept as they are.
    /// </summary>
    public static int MaxLength(int inputLength) => checked((inputLength * 4) + 8);

    /// <summary>The text as the patient sees it (allocates the result; see the span overload for the hot path).</summary>
    public static string Reveal(string? text, bool isHtml)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var rented = ArrayPool<char>.Shared.Rent(MaxLength(text.Length));
        try
        {
            var length = Reveal(text, isHtml, rented);
            return new string(rented, 0, length);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Writes the text as the patient sees it into <paramref name="destination"/>, which must hold at least
    /// <see cref="MaxLength"/>(<paramref name="text"/>.Length) characters, and returns the length written.
    /// Allocates nothing (two scratch buffers come from the shared array pool).
    /// </summary>
    public static int Reveal(ReadOnlySpan<char> text, bool isHtml, Span<char> destination) => Reveal(text, isHtml, destination, fast: true);

    /// <summary>
    /// <paramref name="fast"/>: skip, with table look-ups and vectorised searches, the characters no step changes
    /// (plain ASCII and Latin text); false runs every character through the general code (tests compare the two).
    /// </summary>
    internal static int Reveal(ReadOnlySpan<char> text, bool isHtml, Span<char> destination, bool fast)
    {
        var size = MaxLength(text.Length);
        if (destination.Length < size)
        {
            throw new ArgumentException($"The destination must hold at least PatientText.MaxLength({text.Length}) = {size} characters.", nameof(destination));
        }

        if (text.IsEmpty)
        {
            return 0;
        }

        var a = ArrayPool<char>.Shared.Rent(size);
        var b = ArrayPool<char>.Shared.Rent(size);
        try
        {
            var current = text;
            int n;
            if (isHtml)
            {
                n = HtmlText.Extract(text, a);
                current = a.AsSpan(0, n);
            }

            n = Prepare(current, b, fast);
            n = Compatibility(b.AsSpan(0, n), a, fast);
            n = RejoinAroundSymbols(a.AsSpan(0, n), b, fast);
            n = RejoinSpacedLetters(b.AsSpan(0, n), a, fast);
            n = Words(a.AsSpan(0, n), b, fast);
            return NumberWords.Rewrite(b.AsSpan(0, n), destination);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(a);
            ArrayPool<char>.Shared.Return(b);
        }
    }

    // ---- Display order, invisible characters, character maps ----

    /// <summary>
    /// Copies the run of ASCII characters at <paramref name="i"/> as it is (nothing in it is overridden, hidden or
    /// mapped) and moves both positions past it. True when the run reached the end of the text.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool CopyAsciiRun(ReadOnlySpan<char> text, Span<char> destination, ref int i, ref int n)
    {
        var ascii = text[i..].IndexOfAnyExceptInRange('\0', '\u007F');
        var length = ascii < 0 ? text.Length - i : ascii;
        text.Slice(i, length).CopyTo(destination[n..]);
        n += length;
        i += length;
        return ascii < 0;
    }

    /// <summary>Resolves right-to-left overrides, drops what is not displayed, maps single characters; never lengthens beyond NFKC's bound.</summary>
    internal static int Prepare(ReadOnlySpan<char> text, Span<char> destination, bool fast = true)
    {
        var n = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (CopyAsciiRun(text, destination, ref i, ref n))
            {
                return n;
            }
            if (text[i] == Rlo)
            {
                // U+202E displays what follows, up to its PDF or the end of the paragraph, right to left:
                // "\u202Eomorp" shows "promo".
                var end = OverrideEnd(text, i + 1);
                n += Reversed(text[(i + 1)..end], destination[n..]);
                i = end < text.Length && text[end] == Pdf ? end + 1 : end;
                continue;
            }

            if (fast && text[i] < Mapped.Length)
            {
                // Latin and general punctuation: what Map does depends on the character alone.
                var mapped = Mapped[text[i]];
                if (mapped != '\0')
                {
                    destination[n++] = mapped;
                }

                i++;
                continue;
            }

            i += Map(text, i, destination, ref n);
        }

        return n;
    }

    private static int OverrideEnd(ReadOnlySpan<char> text, int from)
    {
        var depth = 1;
        for (var k = from; k < text.Length; k++)
        {
            switch (text[k])
            {
                case '\u202A' or '\u202B' or '\u202D' or '\u202E':
                    depth++;
                    break;
                case Pdf:
                    if (--depth == 0)
                    {
                        return k;
                    }

                    break;
                case '\n' or '\r' or '\u2029':
                    return k;
            }
        }

        return text.Length;
    }

    /// <summary>The segment in display order: its clusters (a character with its marks and selectors) last to first.</summary>
    private static int Reversed(ReadOnlySpan<char> segment, Span<char> destination)
    {
        var n = 0;
        var end = segment.Length;
        while (end > 0)
        {
            var start = end;
            while (start > 0)
            {
                start--;
                if (char.IsLowSurrogate(segment[start]) && start > 0 && char.IsHighSurrogate(segment[start - 1]))
                {
                    start--;
                }

                if (!Extends(segment, start))
                {
                    break;
                }
            }

            var cluster = segment[start..end];
            for (var k = 0; k < cluster.Length;)
            {
                k += Map(cluster, k, destination, ref n);
            }

            end = start;
        }

        return n;
    }

    private static bool Extends(ReadOnlySpan<char> text, int i)
    {
        if (Rune.DecodeFromUtf16(text[i..], out var rune, out _) != OperationStatus.Done)
        {
            return false;
        }

        var category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            || rune.Value is 0x200D or (>= 0x1F3FB and <= 0x1F3FF);
    }

    /// <summary>Map's result for each character below U+2100 (not a surrogate, so one character in, at most one out): '\0' drops it.</summary>
    private static readonly char[] Mapped = BuildMapped();

    private static char[] BuildMapped()
    {
        var table = new char[0x2100];
        Span<char> one = stackalloc char[1];
        Span<char> output = stackalloc char[8];
        for (var c = 0x80; c < table.Length; c++)
        {
            one[0] = (char)c;
            var n = 0;
            Map(one, 0, output, ref n);
            table[c] = n == 0 ? '\0' : n == 1 ? output[0] : throw new InvalidOperationException($"U+{c:X4} maps to {n} characters");
        }

        return table;
    }

    /// <summary>Maps the character at <paramref name="i"/> (a surrogate pair counts as one); returns how many input characters it took.</summary>
    private static int Map(ReadOnlySpan<char> text, int i, Span<char> destination, ref int n)
    {
        var c = text[i];
        if (c < 0x80)
        {
            destination[n++] = c;
            return 1;
        }

        int cp;
        var consumed = 1;
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            cp = char.ConvertToUtf32(c, text[i + 1]);
            consumed = 2;
        }
        else if (char.IsSurrogate(c))
        {
            // A lone surrogate displays as the replacement character.
            destination[n++] = '\uFFFD';
            return 1;
        }
        else
        {
            cp = c;
        }

        switch (cp)
        {
            case >= 0x1F1E6 and <= 0x1F1FF:
                // Regional indicators: two in a row are a flag emoji; otherwise each shows as its letter.
                if (RegionalRun(text, i) == 2)
                {
                    destination[n++] = c;
                    destination[n++] = text[i + 1];
                }
                else
                {
                    destination[n++] = (char)('A' + (cp - 0x1F1E6));
                }

                return consumed;
            case >= 0x1F150 and <= 0x1F169:
                // Negative circled letters (🅟), which NFKC does not fold.
                destination[n++] = (char)('A' + (cp - 0x1F150));
                return consumed;
            case >= 0x1F170 and <= 0x1F189:
                // Negative squared letters (🅿).
                destination[n++] = (char)('A' + (cp - 0x1F170));
                return consumed;
            case 0x1F193:
                Write("FREE", destination, ref n);
                return consumed;
            case 0x1F195:
                Write("NEW", destination, ref n);
                return consumed;
            case 0x1F51F:
                Write("10", destination, ref n);
                return consumed;
            case 0x066A:
                destination[n++] = '%';
                return consumed;
            case 0xFFFE:
                // A noncharacter the runtime's normaliser refuses.
                destination[n++] = '\uFFFD';
                return consumed;
        }

        if (IsInvisible(cp))
        {
            return consumed;
        }

        var rune = new Rune(cp);
        if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.DecimalDigitNumber)
        {
            // Arabic-Indic, Devanagari ... digits read as digits.
            destination[n++] = (char)('0' + (int)Rune.GetNumericValue(rune));
            return consumed;
        }

        var latin = consumed == 1 ? Confusables.LatinLookalike(c) : '\0';
        if (latin != '\0')
        {
            destination[n++] = latin;
            return consumed;
        }

        destination[n++] = c;
        if (consumed == 2)
        {
            destination[n++] = text[i + 1];
        }

        return consumed;
    }

    /// <summary>How many regional indicators stand together around <paramref name="i"/>, invisible characters between them ignored (3 means "three or more").</summary>
    private static int RegionalRun(ReadOnlySpan<char> text, int i)
    {
        var run = 1;
        for (var k = i - 1; k >= 0 && run < 3; k--)
        {
            if (IsRegional(text, k - 1))
            {
                run++;
                k--;
            }
            else if (char.IsSurrogate(text[k]) || !IsInvisible(text[k]))
            {
                break;
            }
        }

        for (var k = i + 2; k < text.Length && run < 3; k++)
        {
            if (IsRegional(text, k))
            {
                run++;
                k++;
            }
            else if (char.IsSurrogate(text[k]) || !IsInvisible(text[k]))
            {
                break;
            }
        }

        return run;
    }

    private static bool IsRegional(ReadOnlySpan<char> text, int k) =>
        k >= 0 && k + 1 < text.Length && text[k] == '\uD83C' && text[k + 1] is >= '\uDDE6' and <= '\uDDFF';

    /// <summary>Characters that display as nothing: zero-width and joiner characters, soft hyphens, bidi and other
    /// format controls, variation selectors, tag characters, the keycap mark (its digit stays), Hangul fillers.</summary>
    internal static bool IsInvisible(int cp)
    {
        switch (cp)
        {
            case 0x00AD or 0x034F or 0x061C or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x20E3 or 0x3164 or 0xFEFF or 0xFFA0:
            case (>= 0x180B and <= 0x180F) or (>= 0x200B and <= 0x200F) or (>= 0x202A and <= 0x202E) or (>= 0x2060 and <= 0x206F):
            case (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0000 and <= 0xE007F) or (>= 0xE0100 and <= 0xE01EF):
                return true;
            case (>= 0x0600 and <= 0x0605) or 0x06DD or 0x070F or 0x0890 or 0x0891 or 0x08E2 or 0x110BD or 0x110CD:
                // Format characters that do display (Arabic number signs).
                return false;
            default:
                return cp >= 0x80 && Rune.GetUnicodeCategory(new Rune(cp)) == UnicodeCategory.Format;
        }
    }

    // ---- Unicode compatibility (NFKC) ----

    /// <summary>
    /// NFKC, by segments: ASCII runs are copied (they are already normalised and no ASCII character
    /// composes with what precedes it), every other run goes through the runtime's span normaliser.
    /// </summary>
    internal static int Compatibility(ReadOnlySpan<char> text, Span<char> destination, bool fast = true)
    {
        var n = 0;
        var i = 0;
        while (i < text.Length)
        {
            var ascii = fast ? FirstNotInert(text[i..]) : text[i..].IndexOfAnyExceptInRange('\0', '\u007F');
            if (ascii < 0)
            {
                text[i..].CopyTo(destination[n..]);
                return n + text.Length - i;
            }

            // The last ASCII character may compose with a combining mark after it ("e\u0301" → "é").
            var start = i + ascii;
            if (ascii > 0)
            {
                start--;
            }

            text[i..start].CopyTo(destination[n..]);
            n += start - i;
            var end = start + 1;
            while (end < text.Length && !(IsInert(text[end], fast) && (end + 1 == text.Length || IsInert(text[end + 1], fast))))
            {
                end++;
            }

            n += NormalizeSegment(text[start..end], destination[n..]);
            i = end;
        }

        return n;
    }

    /// <summary>
    /// Characters NFKC leaves alone whatever surrounds them (their own normal form, combining class 0, never the
    /// second of a composition): ASCII, and the Latin letters, general punctuation and currency signs whose
    /// normal form is themselves. A segment boundary before one of them changes nothing, so they are copied like ASCII.
    /// </summary>
    private static readonly bool[] Inert = BuildInert();

    private static bool[] BuildInert()
    {
        var table = new bool[0x20D0];
        for (var c = 0; c < table.Length; c++)
        {
            table[c] = c < 0x80 || ((c < 0x250 || c >= 0x2000)
                && CharUnicodeInfo.GetUnicodeCategory((char)c) is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
                && ((char)c).ToString().IsNormalized(NormalizationForm.FormKC));
        }

        return table;
    }

    private static bool IsInert(char c, bool fast) => fast ? c < Inert.Length && Inert[c] : c < 0x80;

    /// <summary>The index of the first character that is not <see cref="Inert"/>, or -1.</summary>
    private static int FirstNotInert(ReadOnlySpan<char> text)
    {
        var i = 0;
        while (true)
        {
            var k = text[i..].IndexOfAnyExceptInRange('\0', '\u007F');
            if (k < 0)
            {
                return -1;
            }

            i += k;
            if (!IsInert(text[i], fast: true))
            {
                return i;
            }

            i++;
        }
    }

    private static int NormalizeSegment(ReadOnlySpan<char> segment, Span<char> destination)
    {
        var n = 0;
        while (!segment.IsEmpty)
        {
            var k = 0;
            while (k < segment.Length && !ExpandsTooMuch(segment[k]))
            {
                k++;
            }

            if (k > 0)
            {
                var part = segment[..k];
                if (part.TryNormalize(destination[n..], out var written, NormalizationForm.FormKC))
                {
                    n += written;
                }
                else
                {
                    part.CopyTo(destination[n..]);
                    n += part.Length;
                }
            }

            if (k < segment.Length)
            {
                destination[n++] = segment[k];
                k++;
            }

            segment = segment[k..];
        }

        return n;
    }

    /// <summary>The characters whose NFKC form is more than four characters long (a test checks the whole range).</summary>
    internal static bool ExpandsTooMuch(char c) => c is '\u3307' or '\u3315' or '\u3316' or '\u3317' or '\u3319' or '\u331A' or '\u3320'
        or '\u332B' or '\u332E' or '\u3332' or '\u3334' or '\u3336' or '\u3347' or '\u334A' or '\u3356' or '\u33AE' or '\u33AF' or '\uFDFA' or '\uFDFB';

    // ---- Words ----

    /// <summary>
    /// "p🔥r🔥o🔥m🔥o" → "promo": a short run of symbols (emoji, pictographs) between two letters or digits
    /// is dropped when the letters on one side of it are at most three, a word cut into pieces; between
    /// two longer words ("Bonjour😊Marie") it stays.
    /// </summary>
    internal static int RejoinAroundSymbols(ReadOnlySpan<char> text, Span<char> destination, bool fast = true)
    {
        if (text.IndexOfAnyExceptInRange('\0', '\u007F') < 0)
        {
            text.CopyTo(destination);
            return text.Length;
        }

        var n = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (fast)
            {
                // A symbol run never starts on an ASCII character: copy those runs whole.
                if (CopyAsciiRun(text, destination, ref i, ref n))
                {
                    return n;
                }
            }

            var end = SymbolRun(text, i);
            if (end == i)
            {
                destination[n++] = text[i++];
                continue;
            }

            var wedged = i > 0 && char.IsLetterOrDigit(text[i - 1]) && end < text.Length && char.IsLetterOrDigit(text[end])
                && (PieceBefore(text, i) <= 3 || PieceAfter(text, end) <= 3);
            if (!wedged)
            {
                text[i..end].CopyTo(destination[n..]);
                n += end - i;
            }

            i = end;
        }

        return n;
    }

    /// <summary>The end of the run of at most four symbols (with their modifiers) starting at <paramref name="i"/>, or <paramref name="i"/>.</summary>
    private static int SymbolRun(ReadOnlySpan<char> text, int i)
    {
        var k = i;
        var symbols = 0;
        while (k < text.Length && text[k] >= 0x80 && symbols < 4)
        {
            if (Rune.DecodeFromUtf16(text[k..], out var rune, out var length) != OperationStatus.Done)
            {
                break;
            }

            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.OtherSymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.MathSymbol)
            {
                symbols++;
            }
            else if (k == i || category is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark))
            {
                break;
            }

            k += length;
        }

        return k;
    }

    private static int PieceBefore(ReadOnlySpan<char> text, int i)
    {
        var count = 0;
        for (var k = i - 1; k >= 0 && count < 4 && char.IsLetterOrDigit(text[k]); k--)
        {
            count++;
        }

        return count;
    }

    private static int PieceAfter(ReadOnlySpan<char> text, int i)
    {
        var count = 0;
        for (var k = i; k < text.Length && count < 4 && char.IsLetterOrDigit(text[k]); k++)
        {
            count++;
        }

        return count;
    }

    private static readonly SearchValues<char> Separators = SearchValues.Create(" .-_·•*|/~+:");

    /// <summary>
    /// "p r o m o", "p.r.o.m.o", "P-R-O-M-O" → "promo": three or more single letters (or digits standing for
    /// letters), at least two of them letters, separated each time by the same short symmetric separator
    /// (" ", ".", " - " ...). Left alone: "Dr J. K. Rowling" (the separator ". " is not symmetric), "de A à Z"
    /// (mixed case after the first letter), "il y a à" (only one-letter words of the language).
    /// </summary>
    internal static int RejoinSpacedLetters(ReadOnlySpan<char> text, Span<char> destination, bool fast = true)
    {
        var n = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (fast)
            {
                // A spaced run starts on an item with no word character before it and a separator after it: an ASCII
                // letter or digit on either side rules a place out, eight places at a time.
                var next = NextSpacedCandidate(text, i);
                text[i..next].CopyTo(destination[n..]);
                n += next - i;
                i = next;
                if (i == text.Length)
                {
                    break;
                }
            }

            if (IsSpacedItem(text[i]) && (i == 0 || !IsWordish(text[i - 1])) && SpacedRun(text, i, out var separator, out var items))
            {
                for (var k = 0; k < items; k++)
                {
                    destination[n++] = text[i + (k * (separator + 1))];
                }

                i += ((items - 1) * (separator + 1)) + 1;
                continue;
            }

            destination[n++] = text[i++];
        }

        return n;
    }

    /// <summary>The first place at or after <paramref name="i"/> with neither neighbour an ASCII letter or digit (the last place never starts a run), or the end.</summary>
    private static int NextSpacedCandidate(ReadOnlySpan<char> text, int i)
    {
        if (i == 0)
        {
            if (text.Length > 1 && !char.IsAsciiLetterOrDigit(text[1]))
            {
                return 0;
            }

            i = 1;
        }

        ref var chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        while (i + 9 <= text.Length)
        {
            var before = Vector128.LoadUnsafe(ref chars, (nuint)(i - 1));
            var after = Vector128.LoadUnsafe(ref chars, (nuint)(i + 1));
            var open = Vector128.AndNot(~AsciiLetterOrDigit(before), AsciiLetterOrDigit(after)).ExtractMostSignificantBits();
            if (open != 0)
            {
                return i + BitOperations.TrailingZeroCount(open);
            }

            i += 8;
        }

        for (; i + 1 < text.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(text[i - 1]) && !char.IsAsciiLetterOrDigit(text[i + 1]))
            {
                return i;
            }
        }

        return text.Length;
    }

    private static Vector128<ushort> AsciiLetterOrDigit(Vector128<ushort> chars)
    {
        var letter = Vector128.LessThanOrEqual((chars | Vector128.Create((ushort)0x20)) - Vector128.Create((ushort)'a'), Vector128.Create((ushort)('z' - 'a')));
        var digit = Vector128.LessThanOrEqual(chars - Vector128.Create((ushort)'0'), Vector128.Create((ushort)9));
        return letter | digit;
    }

    private static bool SpacedRun(ReadOnlySpan<char> text, int i, out int separatorLength, out int items)
    {
        items = 0;
        separatorLength = 0;
        while (i + 1 + separatorLength < text.Length && separatorLength < 3 && Separators.Contains(text[i + 1 + separatorLength]))
        {
            separatorLength++;
        }

        var separator = text.Slice(i + 1, separatorLength);
        if (separatorLength == 0 || !IsSymmetric(separator))
        {
            return false;
        }

        var step = separatorLength + 1;
        var letters = char.IsLetter(text[i]) ? 1 : 0;
        var plain = IsOneLetterWord(text[i]) ? 1 : 0;
        int upper = 0, lower = 0;
        items = 1;
        for (var at = i + step; at < text.Length; at += step)
        {
            var c = text[at];
            if (!IsSpacedItem(c) || !text.Slice(at - separatorLength, separatorLength).SequenceEqual(separator)
                || (at + 1 < text.Length && IsWordish(text[at + 1])))
            {
                break;
            }

            items++;
            letters += char.IsLetter(c) ? 1 : 0;
            plain += IsOneLetterWord(c) ? 1 : 0;
            upper += char.IsUpper(c) ? 1 : 0;
            lower += char.IsLower(c) ? 1 : 0;
        }

        return items >= 3 && letters >= 2 && plain < items && (upper == 0 || lower == 0);
    }

    private static bool IsSymmetric(ReadOnlySpan<char> separator)
    {
        for (int a = 0, z = separator.Length - 1; a < z; a++, z--)
        {
            if (separator[a] != separator[z])
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSpacedItem(char c) => char.IsLetter(c) || IsLeet(c);

    private static bool IsWordish(char c) => char.IsLetterOrDigit(c) || c is '@' or '$' || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    /// <summary>The one-letter words of French and English, which may stand in a row in ordinary text ("il y a à").</summary>
    private static bool IsOneLetterWord(char c) => c is 'a' or 'à' or 'y' or 'o' or 'ô' or 'e' or 'é' or 'i' or 'A' or 'À' or 'Y' or 'O' or 'E' or 'I';

    private static bool IsLeet(char c) => c is '0' or '1' or '3' or '4' or '5' or '7' or '@' or '$';

    /// <summary>Folds look-alike letters and leet digits, word by word (a word keeps its length).</summary>
    internal static int Words(ReadOnlySpan<char> text, Span<char> destination, bool fast = true)
    {
        text.CopyTo(destination);
        var line = new LineContext(-1, false, false);
        var i = 0;
        while (i < text.Length)
        {
            if (fast)
            {
                // Only a word with a digit, '@', '$' or a character from U+0370 on can change: go to the next such
                // character, back to the start of its word (not before i: an earlier word was already read).
                var stop = NextWordStop(text, i);
                if (stop == text.Length)
                {
                    break;
                }

                var floor = i;
                i = stop;
                while (i > floor && (KindOf(text[i - 1], fast) & WordishChar) != 0)
                {
                    i--;
                }
            }

            var kind = KindOf(text[i], fast);
            if ((kind & WordishChar) == 0)
            {
                i++;
                continue;
            }

            var end = i + 1;
            while (end < text.Length && (KindOf(text[end], fast) is var next && (next & WordishChar) != 0))
            {
                kind |= next;
                end++;
            }

            // Look-alikes are letters from U+0370 on; digits for letters are ASCII (folding look-alikes adds none).
            var word = destination[i..end];
            if ((kind & BeyondLatin) != 0)
            {
                FoldLookalikes(text, i, word, ref line);
            }

            if ((kind & LeetChar) != 0)
            {
                ReadDigitsAsLetters(word);
            }

            i = end;
        }

        return text.Length;
    }

    /// <summary>The first digit, '@', '$' or character from U+0370 on at or after <paramref name="i"/>, eight at a time, or the end.</summary>
    private static int NextWordStop(ReadOnlySpan<char> text, int i)
    {
        ref var chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        for (; i + 8 <= text.Length; i += 8)
        {
            var v = Vector128.LoadUnsafe(ref chars, (nuint)i);
            var stops = Vector128.LessThanOrEqual(v - Vector128.Create((ushort)'0'), Vector128.Create((ushort)9))
                | Vector128.Equals(v, Vector128.Create((ushort)'@')) | Vector128.Equals(v, Vector128.Create((ushort)'$'))
                | Vector128.GreaterThan(v, Vector128.Create((ushort)0x36F));
            var mask = stops.ExtractMostSignificantBits();
            if (mask != 0)
            {
                return i + BitOperations.TrailingZeroCount(mask);
            }
        }

        for (; i < text.Length; i++)
        {
            if (text[i] is (>= '0' and <= '9') or '@' or '$' or > '\u036F')
            {
                return i;
            }
        }

        return text.Length;
    }

    private const byte WordishChar = 1;
    private const byte LeetChar = 2;
    private const byte BeyondLatin = 4;

    /// <summary><see cref="KindOf"/> below U+0100, from the general predicates.</summary>
    private static readonly byte[] Latin1Kinds = BuildLatin1Kinds();

    private static byte[] BuildLatin1Kinds()
    {
        var table = new byte[0x100];
        for (var c = 0; c < table.Length; c++)
        {
            table[c] = GeneralKind((char)c, mayBeLookalike: false);
        }

        return table;
    }

    /// <summary>
    /// Whether the character belongs to a word, may be a digit read as a letter, may be a look-alike letter of another
    /// script; not fast, every word character may be anything, so every word goes through both word steps.
    /// </summary>
    private static byte KindOf(char c, bool fast)
    {
        if (!fast)
        {
            return IsWordish(c) ? (byte)(WordishChar | LeetChar | BeyondLatin) : (byte)0;
        }

        return c < 0x100 ? Latin1Kinds[c] : GeneralKind(c, mayBeLookalike: c >= 0x370);
    }

    private static byte GeneralKind(char c, bool mayBeLookalike) =>
        !IsWordish(c) ? (byte)0 : (byte)(WordishChar | (IsLeet(c) ? LeetChar : 0) | (mayBeLookalike ? BeyondLatin : 0));

    private readonly record struct LineContext(int Start, bool Latin, bool Foreign);

    /// <summary>
    /// A Cyrillic, Greek, Armenian or Cherokee letter that looks Latin is folded when its word mixes it with
    /// Latin letters ("рromo"), or when the word is made only of such look-alikes in a line written in Latin
    /// with no real word of another script. A name in its own script (Дмитрий, Ελένη) is never touched.
    /// </summary>
    private static void FoldLookalikes(ReadOnlySpan<char> text, int start, Span<char> word, ref LineContext line)
    {
        var latin = false;
        var foreign = false;
        var unmappable = false;
        foreach (var c in word)
        {
            var script = Confusables.ScriptOf(c);
            if (script == Confusables.Script.Latin)
            {
                latin = true;
            }
            else if (script != Confusables.Script.Other)
            {
                foreign = true;
                unmappable |= Confusables.ToLatin(c) == '\0';
            }
        }

        if (!foreign)
        {
            return;
        }

        if (!latin)
        {
            if (unmappable)
            {
                return;
            }

            var lineStart = text[..start].LastIndexOf('\n') + 1;
            if (line.Start != lineStart)
            {
                line = Context(text, lineStart);
            }

            if (!line.Latin || line.Foreign)
            {
                return;
            }
        }

        for (var k = 0; k < word.Length; k++)
        {
            if (Confusables.ScriptOf(word[k]) is not (Confusables.Script.Latin or Confusables.Script.Other))
            {
                var folded = Confusables.ToLatin(word[k]);
                if (folded != '\0')
                {
                    word[k] = folded;
                }
            }
        }
    }

    private static LineContext Context(ReadOnlySpan<char> text, int lineStart)
    {
        var end = text[lineStart..].IndexOf('\n');
        var line = end < 0 ? text[lineStart..] : text.Slice(lineStart, end);
        var latin = false;
        var foreign = false;
        foreach (var c in line)
        {
            var script = Confusables.ScriptOf(c);
            latin |= script == Confusables.Script.Latin;
            foreign |= script is not (Confusables.Script.Latin or Confusables.Script.Other) && Confusables.ToLatin(c) == '\0';
        }

        return new LineContext(lineStart, latin, foreign);
    }

    /// <summary>
    /// "PR0M0", "0FF", "FR33", "gr@tuit", "$ale" → letters. Only in a word of two or more letters whose
    /// every digit can stand for a letter (0 1 3 4 5 7, and @ $), and then only when the result is a word
    /// of the marketing vocabulary, as a reader recognises it, or when two or more of them sit inside a word
    /// of three or more letters ("b0t0x"). Times (10h30), prices, postcodes (W1G, 75008), booking and
    /// promo codes (RDV1043, ETE25) and dosages (B12, 15mg) stay as written.
    /// </summary>
    private static void ReadDigitsAsLetters(Span<char> word)
    {
        if (word.Length > 32)
        {
            return;
        }

        int letters = 0, leet = 0, upper = 0, lower = 0, first = -1, last = -1;
        var interior = 0;
        for (var k = 0; k < word.Length; k++)
        {
            var c = word[k];
            if (char.IsLetter(c))
            {
                letters++;
                upper += char.IsUpper(c) ? 1 : 0;
                lower += char.IsLower(c) ? 1 : 0;
                first = first < 0 ? k : first;
                last = k;
            }
            else if (IsLeet(c))
            {
                leet++;
            }
            else if (char.IsDigit(c))
            {
                return;
            }
        }

        if (letters < 2 || leet == 0)
        {
            return;
        }

        for (var k = first + 1; k < last; k++)
        {
            interior += IsLeet(word[k]) ? 1 : 0;
        }

        var capitals = upper > 0 && lower == 0;
        Span<char> candidate = stackalloc char[word.Length];
        if ((interior > 0 && leet >= 2 && letters >= 3) || Vocabulary.Knows(Letters(word, candidate, 'i', capitals)))
        {
            Letters(word, word, 'i', capitals);
        }
        else if (word.Contains('1') && Vocabulary.Knows(Letters(word, candidate, 'l', capitals)))
        {
            Letters(word, word, 'l', capitals);
        }
    }

    private static Span<char> Letters(ReadOnlySpan<char> word, Span<char> destination, char one, bool capitals)
    {
        for (var k = 0; k < word.Length; k++)
        {
            var letter = word[k] switch
            {
                '0' => 'o',
                '1' => one,
                '3' => 'e',
                '4' or '@' => 'a',
                '5' or '$' => 's',
                '7' => 't',
                _ => '\0',
            };
            destination[k] = letter == '\0' ? word[k] : capitals ? char.ToUpperInvariant(letter) : letter;
        }

        return destination[..word.Length];
    }

    private static void Write(string value, Span<char> destination, ref int n)
    {
        value.CopyTo(destination[n..]);
        n += value.Length;
    }
}

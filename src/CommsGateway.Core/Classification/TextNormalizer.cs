using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace CommsGateway.Core.Classification;

/// <summary>
/// Folds text once into the small alphabet the keyword automaton matches on, without allocating:
/// lower case, accents stripped (é → e, œ → oe), typographic apostrophes and dashes unified, every run
/// of digits (with its decimal or thousands separator) collapsed to one '0' so "-20 %", "£450.00" and
/// "1 800,00 €" become "-0 %", "£0" and "0 0 €", whitespace collapsed, a hyphen between letters made a
/// space ("top-up" → "top up"), and emojis and line breaks turned into segment breaks ('\n').
/// HTML mode drops tags (block tags become breaks) and decodes the common entities.
/// </summary>
internal static class TextNormalizer
{
    public const char Break = '\n';

    // Latin-1 and Latin Extended-A folded once at start-up (the only allocation, paid by the type initialiser).
    private static readonly char[] Fold = BuildFoldTable();

    /// <summary>Upper bound on the normalised length: "œ" and "æ" expand to two characters, nothing else grows.</summary>
    public static int MaxLength(int inputLength) => (inputLength * 2) + 2;

    public static bool IsWord(char c) => (uint)(c - 'a') <= 'z' - 'a' || c == '0';

    /// <summary>What ends a sentence for the classifier's guards (a segment break or end punctuation).</summary>
    public static readonly SearchValues<char> Breaks = SearchValues.Create([Break, '.', '!', '?', ';']);

    /// <summary>Normalises <paramref name="text"/> into <paramref name="destination"/> and returns the length written.</summary>
    public static int Normalize(ReadOnlySpan<char> text, Span<char> destination, bool html = false) =>
        Normalize(text, destination, html, vectorised: Vector128.IsHardwareAccelerated);

    /// <summary>Tests compare the vectorised path with the character-by-character one.</summary>
    internal static int Normalize(ReadOnlySpan<char> text, Span<char> destination, bool html, bool vectorised)
    {
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            // Fastest path: eight characters at once when they are all ASCII letters and single spaces.
            if (vectorised && i + 8 <= text.Length && n + 8 <= destination.Length && TryLettersAndSpaces(text, i, destination, n))
            {
                n += 8;
                i += 7;
                continue;
            }

            var c = text[i];

            // Fast path: most of a message is plain ASCII letters and single spaces.
            if ((uint)(c - 'a') <= 'z' - 'a')
            {
                destination[n++] = c;
                continue;
            }

            if ((uint)(c - 'A') <= 'Z' - 'A')
            {
                destination[n++] = (char)(c | 0x20);
                continue;
            }

            if (html && c == '<')
            {
                var close = text[i..].IndexOf('>');
                if (close < 0)
                {
                    break;
                }

                Space(destination, ref n, IsBlockTag(text.Slice(i + 1, close - 1)));
                i += close;
                continue;
            }

            if (html && c == '&')
            {
                var consumed = DecodeEntity(text[i..], out c);
                i += consumed - 1;
            }

            if (c < 0x80)
            {
                Ascii(text, i, c, destination, ref n);
                continue;
            }

            switch (c)
            {
                case 'œ' or 'Œ':
                    destination[n++] = 'o';
                    destination[n++] = 'e';
                    continue;
                case 'æ' or 'Æ':
                    destination[n++] = 'a';
                    destination[n++] = 'e';
                    continue;
                case 'ß':
                    destination[n++] = 's';
                    destination[n++] = 's';
                    continue;
                case '\u2018' or '\u2019' or '\u02BC' or '\u00B4' or '\u2032':
                    destination[n++] = '\'';
                    continue;
                case '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014' or '\u2212':
                    Ascii(text, i, '-', destination, ref n);
                    continue;
                case '\u00A0' or '\u202F' or '\u2009' or '\u2007' or '\u200A' or '\u3000':
                    Space(destination, ref n, lineBreak: false);
                    continue;
                case '\u2028' or '\u2029' or '\u2022' or '\u2026':
                    Space(destination, ref n, lineBreak: true);
                    continue;
                case '€':
                    destination[n++] = '€';
                    continue;
                case '\u200D' or '\uFE0F' or '\u200B':
                    // Zero-width joiners and variation selectors glue emoji sequences: no break of their own.
                    continue;
                default:
                    if (c < Fold.Length && Fold[c] != '\0')
                    {
                        destination[n++] = Fold[c];
                        continue;
                    }

                    // Emojis (surrogate pairs), pictographs and other symbols end a thought in SMS/WhatsApp text.
                    Space(destination, ref n, lineBreak: char.IsSurrogate(c) || char.GetUnicodeCategory(c) == UnicodeCategory.OtherSymbol);
                    continue;
            }
        }

        while (n > 0 && destination[n - 1] is ' ' or Break)
        {
            n--;
        }

        return n;
    }

    /// <summary>
    /// Lower-cases eight characters with one vector operation when each is an ASCII letter or a space that
    /// needs no collapsing (no two in a row, none right after a space or a break, none at the start);
    /// anything else is left to the character-by-character path.
    /// </summary>
    private static bool TryLettersAndSpaces(ReadOnlySpan<char> text, int i, Span<char> destination, int n)
    {
        var chunk = Vector128.LoadUnsafe(ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text)), (nuint)i);
        var lower = chunk | Vector128.Create((ushort)0x20);
        var letters = Vector128.LessThanOrEqual(lower - Vector128.Create((ushort)'a'), Vector128.Create((ushort)('z' - 'a')));
        var spaces = Vector128.Equals(chunk, Vector128.Create((ushort)' '));
        if ((letters | spaces) != Vector128<ushort>.AllBitsSet)
        {
            return false;
        }

        var spaceBits = spaces.ExtractMostSignificantBits();
        if ((spaceBits & (spaceBits >> 1)) != 0 || ((spaceBits & 1) != 0 && (n == 0 || destination[n - 1] is ' ' or Break)))
        {
            return false;
        }

        // A space lower-cased with |0x20 stays a space.
        lower.StoreUnsafe(ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(destination)), (nuint)n);
        return true;
    }

    private static void Ascii(ReadOnlySpan<char> text, int i, char c, Span<char> destination, ref int n)
    {
        switch (c)
        {
            case >= 'A' and <= 'Z':
                destination[n++] = (char)(c + 32);
                return;
            case >= 'a' and <= 'z':
                destination[n++] = c;
                return;
            case >= '0' and <= '9':
                if (n > 0 && destination[n - 1] == '0')
                {
                    return;
                }

                // "450.00", "390,00", "1,840": the separator between digits belongs to the number.
                if (n > 1 && destination[n - 1] is '.' or ',' && destination[n - 2] == '0')
                {
                    n--;
                    return;
                }

                destination[n++] = '0';
                return;
            case ' ' or '\t':
                Space(destination, ref n, lineBreak: false);
                return;
            case '\n' or '\r':
                Space(destination, ref n, lineBreak: true);
                return;
            case '-':
                // "top-up", "rendez-vous", "e-mail": a hyphen inside a word is a space; "-20%" keeps its sign.
                if (n > 0 && (uint)(destination[n - 1] - 'a') <= 'z' - 'a' && i + 1 < text.Length && char.IsLetter(text[i + 1]))
                {
                    destination[n++] = ' ';
                    return;
                }

                destination[n++] = '-';
                return;
            case '`':
                destination[n++] = '\'';
                return;
            case < ' ':
                Space(destination, ref n, lineBreak: false);
                return;
            default:
                destination[n++] = c;
                return;
        }
    }

    private static void Space(Span<char> destination, ref int n, bool lineBreak)
    {
        if (n == 0)
        {
            return;
        }

        ref var last = ref destination[n - 1];
        if (lineBreak)
        {
            if (last == ' ')
            {
                last = Break;
            }
            else if (last != Break)
            {
                destination[n++] = Break;
            }
        }
        else if (last is not ' ' and not Break)
        {
            destination[n++] = ' ';
        }
    }

    private static bool IsBlockTag(ReadOnlySpan<char> tag)
    {
        var name = tag.TrimStart('/');
        return name.StartsWith("p", StringComparison.OrdinalIgnoreCase) && (name.Length == 1 || !char.IsLetter(name[1]))
               || name.StartsWith("br", StringComparison.OrdinalIgnoreCase)
               || name.StartsWith("div", StringComparison.OrdinalIgnoreCase)
               || name.StartsWith("li", StringComparison.OrdinalIgnoreCase)
               || name.StartsWith("tr", StringComparison.OrdinalIgnoreCase)
               || name.StartsWith("td", StringComparison.OrdinalIgnoreCase)
               || (name.Length >= 2 && (name[0] | 0x20) == 'h' && char.IsAsciiDigit(name[1]));
    }

    /// <summary>Decodes "&amp;", "&nbsp;", "&eacute;", "&#233;" ...; returns how many characters were consumed.</summary>
    private static int DecodeEntity(ReadOnlySpan<char> text, out char decoded)
    {
        decoded = '&';
        var end = text[..Math.Min(text.Length, 10)].IndexOf(';');
        if (end < 2)
        {
            return 1;
        }

        var name = text[1..end];
        if (name[0] == '#')
        {
            var digits = name[1..];
            var ok = digits.Length > 0 && (digits[0] | 0x20) == 'x'
                ? int.TryParse(digits[1..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code)
                : int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out code);
            decoded = ok && code is > 0 and < 0xFFFF ? (char)code : ' ';
            return end + 1;
        }

        decoded = name switch
        {
            "amp" => '&',
            "nbsp" => ' ',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" or "rsquo" or "lsquo" => '\'',
            "euro" => '€',
            "pound" => '£',
            "ndash" or "mdash" => '-',
            _ when name.Length > 4 && name.EndsWith("acute", StringComparison.Ordinal) => name[0],
            _ when name.Length > 4 && name.EndsWith("grave", StringComparison.Ordinal) => name[0],
            _ when name.Length > 4 && name.EndsWith("circ", StringComparison.Ordinal) => name[0],
            _ when name.Length > 3 && name.EndsWith("uml", StringComparison.Ordinal) => name[0],
            _ when name.Length > 4 && name.EndsWith("cedil", StringComparison.Ordinal) => name[0],
            _ => '\0',
        };
        if (decoded == '\0')
        {
            decoded = '&';
            return 1;
        }

        return end + 1;
    }

    /// <summary>Normalises a pattern or a whole string (start-up and tests only: allocates).</summary>
    public static string Normalize(string text, bool html = false)
    {
        Span<char> buffer = text.Length < 512 ? stackalloc char[MaxLength(text.Length)] : new char[MaxLength(text.Length)];
        var length = Normalize(text, buffer, html);
        return new string(buffer[..length]);
    }

    private static char[] BuildFoldTable()
    {
        var table = new char[0x250];
        for (var c = 0xC0; c < table.Length; c++)
        {
            var decomposed = ((char)c).ToString().Normalize(NormalizationForm.FormD);
            var letter = decomposed[0];
            if (char.IsLetter(letter) && letter < 0x80)
            {
                table[c] = char.ToLowerInvariant(letter);
            }
        }

        table['£'] = '£';
        table['\u00AB'] = '"';
        table['\u00BB'] = '"';
        table['ø'] = 'o';
        table['Ø'] = 'o';
        table['đ'] = 'd';
        table['ł'] = 'l';
        table['Ł'] = 'l';
        return table;
    }
}

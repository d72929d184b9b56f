using System.Text;

namespace CommsGateway.Core.Classification;

/// <summary>
/// The text a mail client renders from an HTML body, without building a DOM: tags dropped (block
/// elements end a line, inline ones join their neighbours as the browser does: "pro&lt;b&gt;mo&lt;/b&gt;" reads
/// "promo"), comments, &lt;script&gt;, &lt;style&gt;, &lt;head&gt; and &lt;title&gt; content dropped, source
/// whitespace collapsed, an image's alt text kept in its place, and every HTML5 character reference
/// decoded (named, decimal, hexadecimal, with or without the ';' the HTML5 parser tolerates).
/// Text hidden with CSS (display:none) is kept: it is either the preheader, which the inbox list does
/// show, or stuffing meant to be revealed by a media query, and in both cases it is part of the message.
/// The output is never longer than the input.
/// </summary>
internal static class HtmlText
{
    public static int Extract(ReadOnlySpan<char> html, Span<char> destination)
    {
        var n = 0;
        var i = 0;
        while (i < html.Length)
        {
            var c = html[i];
            if (c == '<')
            {
                i = Tag(html, i, destination, ref n);
                continue;
            }

            if (c == '&')
            {
                i += Decode(html[i..], destination, ref n);
                continue;
            }

            if (c is ' ' or '\t' or '\n' or '\r' or '\f')
            {
                // Source line breaks are not line breaks on screen.
                if (n > 0 && destination[n - 1] is not ' ' and not '\n')
                {
                    destination[n++] = ' ';
                }

                i++;
                continue;
            }

            destination[n++] = c;
            i++;
        }

        return Trim(destination, n);
    }

    /// <summary>Handles the markup starting at <paramref name="i"/> ('&lt;'); returns where the text resumes.</summary>
    private static int Tag(ReadOnlySpan<char> html, int i, Span<char> destination, ref int n)
    {
        var rest = html[i..];
        if (rest.StartsWith("<!--"))
        {
            var end = rest[4..].IndexOf("-->");
            return end < 0 ? html.Length : i + 4 + end + 3;
        }

        var closing = rest.Length > 1 && rest[1] == '/';
        var nameStart = closing ? 2 : 1;
        if (rest.Length <= nameStart || !(char.IsAsciiLetter(rest[nameStart]) || (!closing && rest[nameStart] is '!' or '?')))
        {
            // "< 5 €", "a<b": not markup, the browser shows the '<'.
            destination[n++] = '<';
            return i + 1;
        }

        var length = TagLength(rest);
        if (length < 0)
        {
            // An unterminated tag swallows the rest of the document.
            return html.Length;
        }

        var tag = rest[..length];
        var nameEnd = nameStart;
        while (nameEnd < tag.Length && char.IsAsciiLetterOrDigit(tag[nameEnd]))
        {
            nameEnd++;
        }

        var name = tag[nameStart..nameEnd];
        if (!closing && IsRawContent(name))
        {
            // Skip to the matching end tag; its content is never rendered.
            var after = i + length;
            var end = FindEndTag(html[after..], name);
            return end < 0 ? html.Length : after + end;
        }

        if (!closing && name.Equals("img", StringComparison.OrdinalIgnoreCase))
        {
            var alt = Attribute(tag, "alt");
            if (!alt.IsEmpty)
            {
                Space(destination, ref n);
                var start = n;
                for (var k = 0; k < alt.Length;)
                {
                    if (alt[k] == '&')
                    {
                        k += Decode(alt[k..], destination, ref n);
                    }
                    else
                    {
                        destination[n++] = alt[k] is '\n' or '\r' or '\t' ? ' ' : alt[k];
                        k++;
                    }
                }

                if (n > start)
                {
                    Space(destination, ref n);
                }
            }
        }
        else if (IsBlock(name))
        {
            if (n > 0 && destination[n - 1] == ' ')
            {
                n--;
            }

            if (n > 0 && destination[n - 1] != '\n')
            {
                destination[n++] = '\n';
            }
        }

        return i + length;
    }

    /// <summary>The length of the tag at the start of <paramref name="text"/>, '&gt;' included, quotes respected; -1 if unterminated.</summary>
    private static int TagLength(ReadOnlySpan<char> text)
    {
        var quote = '\0';
        var previous = '\0';
        for (var k = 1; k < text.Length; k++)
        {
            var c = text[k];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }

                continue;
            }

            if (c is '"' or '\'' && previous == '=')
            {
                quote = c;
            }
            else if (c == '>')
            {
                return k + 1;
            }

            if (!char.IsWhiteSpace(c))
            {
                previous = c;
            }
        }

        return -1;
    }

    private static ReadOnlySpan<char> Attribute(ReadOnlySpan<char> tag, string attribute)
    {
        for (var k = 0; k + attribute.Length < tag.Length; k++)
        {
            if (!tag[k..].StartsWith(attribute, StringComparison.OrdinalIgnoreCase) || (k > 0 && !char.IsWhiteSpace(tag[k - 1])))
            {
                continue;
            }

            var v = k + attribute.Length;
            while (v < tag.Length && tag[v] == ' ')
            {
                v++;
            }

            if (v >= tag.Length || tag[v] != '=')
            {
                continue;
            }

            v++;
            while (v < tag.Length && tag[v] == ' ')
            {
                v++;
            }

            if (v < tag.Length && tag[v] is '"' or '\'')
            {
                var end = tag[(v + 1)..].IndexOf(tag[v]);
                return end < 0 ? [] : tag.Slice(v + 1, end);
            }

            var stop = tag[v..].IndexOfAny(" >/");
            return stop < 0 ? tag[v..] : tag.Slice(v, stop);
        }

        return [];
    }

    private static int FindEndTag(ReadOnlySpan<char> html, ReadOnlySpan<char> name)
    {
        var offset = 0;
        while (true)
        {
            var k = html[offset..].IndexOf("</");
            if (k < 0)
            {
                return -1;
            }

            var at = offset + k;
            var candidate = html[(at + 2)..];
            if (candidate.StartsWith(name, StringComparison.OrdinalIgnoreCase)
                && (candidate.Length == name.Length || !char.IsAsciiLetterOrDigit(candidate[name.Length])))
            {
                var close = html[at..].IndexOf('>');
                return close < 0 ? -1 : at + close + 1;
            }

            offset = at + 2;
        }
    }

    private static bool IsRawContent(ReadOnlySpan<char> name) =>
        name.Equals("script", StringComparison.OrdinalIgnoreCase) || name.Equals("style", StringComparison.OrdinalIgnoreCase)
        || name.Equals("head", StringComparison.OrdinalIgnoreCase) || name.Equals("title", StringComparison.OrdinalIgnoreCase)
        || name.Equals("template", StringComparison.OrdinalIgnoreCase);

    private static readonly string[] BlockNames =
    [
        "p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "table", "tbody", "thead", "tfoot", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "section", "article", "header", "footer", "hr", "pre", "center", "dl", "dt", "dd", "form", "nav", "aside",
        "main", "figure", "figcaption", "address", "body", "html", "caption",
    ];

    private static bool IsBlock(ReadOnlySpan<char> name)
    {
        foreach (var block in BlockNames)
        {
            if (name.Equals(block, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Decodes the character reference at the start of <paramref name="text"/> ('&amp;'); returns how many characters it took.</summary>
    internal static int Decode(ReadOnlySpan<char> text, Span<char> destination, ref int n)
    {
        if (text.Length > 2 && text[1] == '#')
        {
            return Numeric(text, destination, ref n);
        }

        var run = 1;
        while (run < text.Length && run <= HtmlEntities.MaxNameLength && char.IsAsciiLetterOrDigit(text[run]))
        {
            run++;
        }

        // "&percnt;": the name with its ';'.
        if (run < text.Length && text[run] == ';' && HtmlEntities.TryGet(text[1..(run + 1)], out var value))
        {
            value.CopyTo(destination[n..]);
            n += value.Length;
            return run + 1;
        }

        // "&nbsp", "&eacutex": the longest legacy name, which the parser accepts without ';'.
        for (var end = Math.Min(run, 7); end > 2; end--)
        {
            if (HtmlEntities.TryGet(text[1..end], out value))
            {
                value.CopyTo(destination[n..]);
                n += value.Length;
                return end;
            }
        }

        destination[n++] = '&';
        return 1;
    }

    private static int Numeric(ReadOnlySpan<char> text, Span<char> destination, ref int n)
    {
        var hex = (text[2] | 0x20) == 'x';
        var k = hex ? 3 : 2;
        var start = k;
        long code = 0;
        while (k < text.Length && (hex ? char.IsAsciiHexDigit(text[k]) : char.IsAsciiDigit(text[k])))
        {
            var digit = hex ? HexValue(text[k]) : text[k] - '0';
            code = Math.Min((code * (hex ? 16 : 10)) + digit, 0x110000);
            k++;
        }

        if (k == start)
        {
            destination[n++] = '&';
            return 1;
        }

        if (k < text.Length && text[k] == ';')
        {
            k++;
        }

        // The HTML5 parser's repairs: NUL, surrogates and out-of-range become U+FFFD, C1 controls are read as windows-1252.
        var cp = code switch
        {
            0 or > 0x10FFFF or (>= 0xD800 and <= 0xDFFF) => 0xFFFD,
            >= 0x80 and <= 0x9F => Windows1252[(int)code - 0x80],
            _ => (int)code,
        };

        n += new Rune(cp).EncodeToUtf16(destination[n..]);
        return k;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static readonly int[] Windows1252 =
    [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];

    private static void Space(Span<char> destination, ref int n)
    {
        if (n > 0 && destination[n - 1] is not ' ' and not '\n')
        {
            destination[n++] = ' ';
        }
    }

    private static int Trim(Span<char> destination, int n)
    {
        while (n > 0 && destination[n - 1] is ' ' or '\n')
        {
            n--;
        }

        return n;
    }

    /// <summary>For tests: the rendered text of a whole document.</summary>
    internal static string Extract(string html)
    {
        var buffer = new char[html.Length + 2];
        return new string(buffer, 0, Extract(html, buffer));
    }
}

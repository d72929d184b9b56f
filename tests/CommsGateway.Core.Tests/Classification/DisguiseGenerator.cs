using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace CommsGateway.Core.Tests.Classification;

/// <summary>
/// One way a sender hides a word from a filter. <see cref="Apply"/> rewrites one promotional word or figure
/// (returning it unchanged when the disguise does not fit it); <see cref="Markup"/> disguises write HTML and exist
/// only in the HTML form of an email.
/// </summary>
public sealed record Disguise(string Name, Func<string, Random, string> Apply, bool Markup = false)
{
    public override string ToString() => Name;
}

/// <summary>A message as sent: a subject, and a plain body or (email) an HTML body.</summary>
public sealed record SentMessage(string Subject, string Body, string Html)
{
    public bool IsHtml => Html.Length > 0;
}

/// <summary>
/// Deterministic disguises of known promotions and ordinary Unicode noise for service messages. The words that carry
/// a promotion (percentages, prices, "promo", "offre", "réduction", "discount", "off", "free" ...) are found in a
/// message and every one of them is rewritten with one disguise, or two in a row; every random choice (which emoji,
/// which separator, which invisible character) comes from a seed, so a run is repeatable.
/// </summary>
public static partial class DisguiseGenerator
{
    // ---- The words that carry a promotion ----

    [GeneratedRegex(
        @"[-−–]?\d+(?:[.,]\d+)?[  ]?%|[£$€]\d+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?[  ]?€" +
        @"|\b(?:promos?|promotions?|promotionnelle?s?|offres?|offerte?s?|offers?|off|free|gratuite?s?|r[ée]ductions?|remises?|discounts?|discounted" +
        @"|soldes|sales?|deals?|sp[ée]ciale?s?|exclusi(?:ve|f|vit[ée])s?|cadeaux?|gifts?|bonus|save|savings?|vouchers?|[ée]conomisez|avantages?|prix|price)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PromotionalWords();

    /// <summary>The promotional words and figures of a text, as (start, length).</summary>
    public static IReadOnlyList<(int Start, int Length)> Find(string text) =>
        [.. PromotionalWords().Matches(text).Select(m => (m.Index, m.Length))];

    /// <summary>
    /// The message with every promotional word disguised, or null when the disguise changes none of them (a disguise of
    /// letters on a message whose only promotion is a figure). In the HTML form a disguised word is escaped, except
    /// what a markup disguise wrote.
    /// </summary>
    public static SentMessage? Disguised(SentMessage message, Disguise disguise, int seed)
    {
        if (disguise.Markup && !message.IsHtml)
        {
            return null;
        }

        var random = new Random(seed);
        var changed = false;
        string Rewrite(string text, bool html)
        {
            var output = new StringBuilder(text.Length * 2);
            var at = 0;
            foreach (var (start, length) in Find(text))
            {
                output.Append(text, at, start - at);
                var word = text.Substring(start, length);
                var disguised = disguise.Apply(word, random);
                changed |= disguised != word;
                output.Append(html && !disguise.Markup ? Escape(disguised) : disguised);
                at = start + length;
            }

            output.Append(text, at, text.Length - at);
            return output.ToString();
        }

        // A subject is plain text even in an HTML email: markup disguises leave it alone.
        var result = message.IsHtml
            ? message with { Subject = disguise.Markup ? message.Subject : Rewrite(message.Subject, false), Html = Rewrite(message.Html, true) }
            : message with { Subject = Rewrite(message.Subject, false), Body = Rewrite(message.Body, false) };
        return changed ? result : null;
    }

    /// <summary>An email body as HTML, as an editor writes it: paragraphs, line breaks, the text escaped.</summary>
    public static string ToHtml(string body)
    {
        var paragraphs = Escape(body.Replace("\r\n", "\n", StringComparison.Ordinal)).Split("\n\n");
        return "<html><body>" + string.Concat(paragraphs.Select(p => "<p>" + p.Replace("\n", "<br>\n", StringComparison.Ordinal) + "</p>\n")) + "</body></html>";
    }

    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    // ---- The disguises ----

    private static Disguise Then(string first, string second)
    {
        var a = Single.Single(d => d.Name == first);
        var b = Single.Single(d => d.Name == second);
        return new($"{first} + {second}", (w, r) => b.Apply(a.Apply(w, r), r), a.Markup || b.Markup);
    }

    private static string Pick(Random random, params string[] choices) => choices[random.Next(choices.Length)];

    /// <summary>Each character mapped (null keeps it); surrogate pairs and marks already written pass through.</summary>
    private static string Map(string word, Func<char, string?> map)
    {
        var output = new StringBuilder(word.Length * 2);
        foreach (var c in word)
        {
            output.Append(map(c) ?? c.ToString());
        }

        return output.ToString();
    }

    /// <summary>Something between each two text elements of the word (an emoji or a letter with its mark stays whole).</summary>
    private static string Between(string word, Func<char, char, string> between)
    {
        var elements = TextElements(word);
        var output = new StringBuilder(word.Length * 3);
        for (var k = 0; k < elements.Count; k++)
        {
            if (k > 0)
            {
                output.Append(between(elements[k - 1][^1], elements[k][0]));
            }

            output.Append(elements[k]);
        }

        return output.ToString();
    }

    private static List<string> TextElements(string word)
    {
        var elements = new List<string>();
        var e = StringInfo.GetTextElementEnumerator(word);
        while (e.MoveNext())
        {
            elements.Add((string)e.Current);
        }

        return elements;
    }

    private static string Reverse(string word)
    {
        var elements = TextElements(word);
        elements.Reverse();
        return string.Concat(elements);
    }

    /// <summary>"p r o m o", "p.r.o.m.o": words of three letters or more only (a figure is not spelled letter by letter).</summary>
    private static string Spaced(string word, string separator)
    {
        var elements = TextElements(word);
        return elements.Count >= 3 && elements.All(e => char.IsLetter(e, 0)) ? string.Join(separator, elements) : word;
    }

    private static readonly Dictionary<char, char> Cyrillic = Pairs("aаcсeеoоpрxхyуiіsѕjјAАBВCСEЕHНKКMМOОPРTТXХIІSЅ");

    private static readonly Dictionary<char, char> Greek = Pairs("oοaαvνiιAΑBΒEΕZΖHΗIΙKΚMΜNΝOΟPΡTΤYΥXΧ");

    private static Dictionary<char, char> Pairs(string pairs)
    {
        var map = new Dictionary<char, char>();
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            map[pairs[i]] = pairs[i + 1];
        }

        return map;
    }

    /// <summary>Every letter that has a look-alike in the other script swapped ("рrоmо").</summary>
    private static string? Lookalike(Dictionary<char, char> map, char c) => map.TryGetValue(c, out var other) ? other.ToString() : null;

    /// <summary>"PR0M0", "0FF", "FR33", "r3duct10n": o e a i written as 0 3 4 1, keeping at least two letters.</summary>
    private static string Leet(string word)
    {
        var chars = word.ToCharArray();
        var letters = chars.Count(char.IsLetter);
        for (var k = 0; k < chars.Length && letters > 2; k++)
        {
            var digit = char.ToLowerInvariant(chars[k]) switch { 'o' => '0', 'e' => '3', 'a' => '4', 'i' => '1', _ => '\0' };
            if (digit != '\0')
            {
                chars[k] = digit;
                letters--;
            }
        }

        return new string(chars);
    }

    private static readonly string SuperscriptLower = "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖ\0ʳˢᵗᵘᵛʷˣʸᶻ";

    private static readonly string SuperscriptUpper = "ᴬᴮ\0ᴰᴱ\0ᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾ\0ᴿ\0ᵀᵁⱽᵂ\0\0\0";

    private static string? Superscript(char c)
    {
        var s = c switch
        {
            >= 'a' and <= 'z' => SuperscriptLower[c - 'a'],
            >= 'A' and <= 'Z' => SuperscriptUpper[c - 'A'] is var upper and not '\0' ? upper : SuperscriptLower[c - 'A'],
            '0' => '⁰', '1' => '¹', '2' => '²', '3' => '³', >= '4' and <= '9' => (char)(0x2074 + c - '4'),
            '-' => '⁻',
            _ => '\0',
        };
        return s == '\0' ? null : s.ToString();
    }

    private static string? Circled(char c) => c switch
    {
        >= 'a' and <= 'z' => ((char)(0x24D0 + c - 'a')).ToString(),
        >= 'A' and <= 'Z' => ((char)(0x24B6 + c - 'A')).ToString(),
        '0' => "\u24EA",
        >= '1' and <= '9' => ((char)(0x2460 + c - '1')).ToString(),
        _ => null,
    };

    /// <summary>Mathematical alphanumerics in a style without holes (bold, bold italic, bold script, fraktur, sans-serif, monospace).</summary>
    private static string Mathematical(string word, Random random)
    {
        int[] styles = [0x1D400, 0x1D468, 0x1D4D0, 0x1D56C, 0x1D5A0, 0x1D5D4, 0x1D608, 0x1D63C, 0x1D670];
        int[] digits = [0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6];
        var style = styles[random.Next(styles.Length)];
        var digit = digits[random.Next(digits.Length)];
        return Map(word, c => c switch
        {
            >= 'A' and <= 'Z' => char.ConvertFromUtf32(style + c - 'A'),
            >= 'a' and <= 'z' => char.ConvertFromUtf32(style + 26 + c - 'a'),
            >= '0' and <= '9' => char.ConvertFromUtf32(digit + c - '0'),
            _ => null,
        });
    }

    /// <summary>Squared, negative squared or negative circled capitals (🄿🅁🄾🄼🄾, 🅿🆁🅾🅼🅾, 🅟🅡🅞🅜🅞).</summary>
    private static string Squared(string word, Random random)
    {
        var style = Pick(random, "\U0001F130", "\U0001F170", "\U0001F150");
        var start = char.ConvertToUtf32(style, 0);
        return Map(word, c => char.IsAsciiLetter(c) ? char.ConvertFromUtf32(start + char.ToUpperInvariant(c) - 'A') : null);
    }

    private static readonly Dictionary<char, char> SmallCapitals = Pairs("aᴀbʙcᴄdᴅeᴇfꜰgɢhʜiɪjᴊkᴋlʟmᴍnɴoᴏpᴘrʀsꜱtᴛuᴜvᴠwᴡyʏzᴢ");

    private static string? Entity(char c, Random random) => c switch
    {
        '%' => Pick(random, "&percnt;", "&#37;", "&#x25;"),
        '€' => Pick(random, "&euro;", "&#8364;"),
        '£' => Pick(random, "&pound;", "&#163;"),
        '-' => Pick(random, "&minus;", "&#45;", "&hyphen;"),
        'é' => Pick(random, "&eacute;", "&#233;"),
        'É' => "&Eacute;",
        >= 'a' and <= 'z' or >= 'A' and <= 'Z' when random.Next(2) == 0 => $"&#{(int)c};",
        _ => WebUtility.HtmlEncode(c.ToString()),
    };

    /// <summary>"20%" → "vingt pour cent" (French) or "twenty percent" (English); a leading minus sign goes with the figure.</summary>
    private static string Spelled(string word, Random random)
    {
        var match = Regex.Match(word, @"^[-−–]?(\d{1,3})[  ]?%$", RegexOptions.CultureInvariant);
        var n = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        if (n is < 1 or > 100)
        {
            return word;
        }

        return random.Next(2) == 0
            ? French(n) + Pick(random, " pour cent", " pourcent")
            : English(n) + Pick(random, " percent", " per cent");
    }

    private static readonly string[] EnglishUnits = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];

    private static readonly string[] EnglishTens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    private static string English(int n) => n switch
    {
        100 => "one hundred",
        < 20 => EnglishUnits[n],
        _ when n % 10 == 0 => EnglishTens[n / 10],
        _ => EnglishTens[n / 10] + "-" + EnglishUnits[n % 10],
    };

    private static readonly string[] FrenchUnits = ["", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
        "onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf"];

    private static readonly string[] FrenchTens = ["", "", "vingt", "trente", "quarante", "cinquante", "soixante", "soixante", "quatre-vingt", "quatre-vingt"];

    private static string French(int n) => n switch
    {
        100 => "cent",
        < 20 => FrenchUnits[n],
        80 => "quatre-vingts",
        _ when n / 10 is 7 or 9 => FrenchTens[n / 10] + (n % 10 == 1 && n / 10 == 7 ? "-et-" : "-") + FrenchUnits[10 + (n % 10)],
        _ when n % 10 == 0 => FrenchTens[n / 10],
        _ when n % 10 == 1 && n / 10 != 8 => FrenchTens[n / 10] + " et un",
        _ => FrenchTens[n / 10] + "-" + FrenchUnits[n % 10],
    };

    // ---- Ordinary noise in service messages ----

    /// <summary>
    /// A kind of Unicode noise that ordinary messages carry, applied to a whole text. <see cref="Reference"/> is the text
    /// the noisy one is compared with: the text itself, or for names the text without the name the noise replaces.
    /// </summary>
    public sealed record Noise(string Name, Func<string, string, Random, string> Apply, Func<string, string>? Reference = null)
    {
        public string ReferenceOf(string text) => Reference is null ? text : Reference(text);

        public override string ToString() => Name;
    }

    private static readonly string[] Emoji = ["😊", "🙂", "👍", "👍🏽", "🙏", "📅", "✅", "☀️", "❤️", "🌸", "📞", "🇫🇷", "🇬🇧", "⏰"];

    private static readonly string[] JoinedEmoji = ["👩‍⚕️", "🧑🏽‍⚕️", "👨‍⚕️", "👨‍👩‍👧", "❤️‍🩹", "👩🏻‍🦰", "🧑‍🤝‍🧑", "🏃‍♀️"];

    private static readonly string[] Names =
    [
        "محمد", "فاطمة الزهراء", "يوسف بن علي", "王芳", "李伟", "陈静", "Дмитрий", "Анна Петрова", "Ольга", "Сергей Иванов",
        "Ελένη", "Γιώργος Παπαδόπουλος", "יוסף כהן", "김민준", "さくら", "अर्जुन", "Ірина", "Գայանե", "ნინო", "สมชาย",
    ];

    private static readonly Noise NamesNoise = new("names in other scripts", (text, _, _) => Named(text, own: true), text => Named(text, own: false));

    public static IReadOnlyList<Noise> Noises { get; } =
    [
        new("emoji", (text, _, r) => AtSentenceEnds(text, r, () => " " + Pick(r, Emoji))),
        new("joined emoji sequences", (text, _, r) => AtSentenceEnds(text, r, () => " " + Pick(r, JoinedEmoji))),
        NamesNoise,
        new("typographic punctuation", Typographic),
        new("no-break spaces", (text, _, r) => Regex.Replace(text, " ", _ => r.Next(3) == 0 ? Pick(r, "\u00A0", "\u202F") : " ")),
        new("invisible formatting", Invisible),
    ];

    /// <summary>Every noise together, names first (they are placed on the text as written).</summary>
    public static Noise Mixed { get; } = new(
        "all of them",
        (text, lang, r) => Noises.Where(n => n != NamesNoise).Aggregate(Named(text, own: true), (t, n) => n.Apply(t, lang, r)),
        text => Named(text, own: false));

    /// <summary>After some sentence ends and at the end of the text, as people sign off.</summary>
    private static string AtSentenceEnds(string text, Random random, Func<string> emoji)
    {
        if (text.Length == 0)
        {
            return text;
        }

        var withEmoji = Regex.Replace(text, @"(?<=[.!?])(?=\s)", _ => random.Next(3) == 0 ? emoji() : "");
        return withEmoji + emoji();
    }

    [GeneratedRegex(@"^(Bonjour|Bonsoir|Chère|Cher|Hello|Hi|Dear|Madame|Monsieur)( (?:(?:Mr|Mrs|Ms|Miss|Dr|M\.|Mme|Madame|Monsieur) )?[\p{Lu}][\p{L}'-]+(?: [\p{Lu}][\p{L}'-]+)?)(?=[,!])", RegexOptions.CultureInvariant)]
    private static partial Regex Greeting();

    /// <summary>
    /// A name in another script where a message names its reader: in place of the name of the greeting ("Dear Mr
    /// Fenwick," → "Dear 王芳,"), or before the first words ("Анна, votre rendez-vous ..."). The reference
    /// (<paramref name="own"/> false) is the text without that name: the greeting with no name, or the text as written,
    /// so what is compared is the name's script, not whether the message names someone.
    /// </summary>
    private static string Named(string text, bool own)
    {
        if (text.Length == 0)
        {
            return text;
        }

        var name = own ? " " + Names[text.Sum(c => (int)c) % Names.Length] : "";
        var greeting = Greeting().Match(text);
        if (greeting.Success)
        {
            return text[..greeting.Groups[2].Index] + name + text[(greeting.Groups[2].Index + greeting.Groups[2].Length)..];
        }

        return own ? name.TrimStart() + ", " + text : text;
    }

    private static string Typographic(string text, string lang, Random random)
    {
        var output = text.Replace("'", "’", StringComparison.Ordinal).Replace("...", "…", StringComparison.Ordinal)
            .Replace(" - ", random.Next(2) == 0 ? " – " : " — ", StringComparison.Ordinal);
        output = Regex.Replace(output, "\"([^\"\n]*)\"", m => lang == "fr" ? "«\u202F" + m.Groups[1].Value + "\u202F»" : "“" + m.Groups[1].Value + "”");
        if (lang == "fr")
        {
            output = Regex.Replace(output, @" ([:;!?])", "\u202F$1");
        }

        return Regex.Replace(output, @"(\d) (€|%|h\b)", "$1\u00A0$2");
    }

    /// <summary>Marks that editors and phones leave around words: bidi marks and isolates around numbers, joiners, a byte-order mark.</summary>
    private static string Invisible(string text, string lang, Random random)
    {
        if (text.Length == 0)
        {
            return text;
        }

        var output = Regex.Replace(text, @"\d[\d .:/+-]*\d|\d", m => Pick(random, "\u200E", "\u2068", "\u200F", "") + m.Value + Pick(random, "\u200E", "\u2069", "\u200F", ""));
        output = Regex.Replace(output, @"(?<=\w) (?=\w)", _ => random.Next(6) == 0 ? Pick(random, " \u2060", "\u200B ", " \u200C", "\u200E ") : " ");
        return (random.Next(2) == 0 ? "\uFEFF" : "") + output;
    }

    /// <summary>An email body as HTML with typographic entities (&amp;rsquo;, &amp;nbsp;, &amp;eacute; ...): what editors write.</summary>
    public static string ToHtmlWithEntities(string body, Random random)
    {
        var html = ToHtml(body);
        return Regex.Replace(html, "[’'éèàç…–—«»\u00A0]| (?=[:;!?€%])", m => m.Value switch
        {
            "’" or "'" => "&rsquo;",
            "é" => "&eacute;",
            "è" => "&egrave;",
            "à" => "&agrave;",
            "ç" => "&ccedil;",
            "…" => "&hellip;",
            "–" => "&ndash;",
            "—" => "&mdash;",
            "«" => "&laquo;",
            "»" => "&raquo;",
            _ => random.Next(2) == 0 ? "&nbsp;" : "&#160;",
        });
    }

    // ---- The list (last: the tables above are initialised first) ----

    public static IReadOnlyList<Disguise> Single { get; } =
    [
        new("fullwidth", (w, _) => Map(w, c => c is > ' ' and <= '~' ? ((char)(c - 0x21 + 0xFF01)).ToString() : null)),
        new("keycap digits", (w, r) => Map(w, c => char.IsAsciiDigit(c) ? c + (r.Next(3) == 0 ? "\u20E3" : "\uFE0F\u20E3") : null)),
        new("arabic-indic digits", (w, _) => Map(w, c => char.IsAsciiDigit(c) ? ((char)(0x0660 + c - '0')).ToString() : c == '%' ? "\u066A" : null)),
        new("letter-spaced", (w, r) => Spaced(w, r.Next(2) == 0 ? " " : "  ")),
        new("dotted", (w, _) => Spaced(w, ".")),
        new("hyphenated", (w, r) => Spaced(w, r.Next(2) == 0 ? "-" : " - ")),
        new("soft hyphens", (w, _) => Between(w, (_, _) => "\u00AD")),
        new("zero-width characters", (w, r) => Between(w, (_, _) => Pick(r, "\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF"))),
        new("invisible formatting", (w, r) => Between(w, (_, _) => Pick(r, "\u200E", "\u200F", "\u2061", "\u2062", "\u2063", "\u2064", "\u034F"))),
        new("emoji between characters", (w, r) => Between(w, (a, b) => char.IsLetterOrDigit(a) && char.IsLetterOrDigit(b) ? Pick(r, "🔥", "💥", "⭐️", "✨", "💖", "🎉", "👉") : "")),
        new("right-to-left override", (w, _) => "\u202E" + Reverse(w) + "\u202C"),
        new("cyrillic look-alikes", (w, _) => Map(w, c => Lookalike(Cyrillic, c))),
        new("greek look-alikes", (w, _) => Map(w, c => Lookalike(Greek, c))),
        new("digits for letters", (w, _) => Leet(w)),
        new("superscript letters", (w, _) => Map(w, Superscript)),
        new("circled letters", (w, _) => Map(w, Circled)),
        new("mathematical letters", (w, r) => Mathematical(w, r)),
        new("squared letters", (w, r) => Squared(w, r)),
        new("flag letters", (w, _) => w.Count(char.IsAsciiLetter) >= 3 && w.All(char.IsAsciiLetter) ? Map(w, c => char.ConvertFromUtf32(0x1F1E6 + (char.ToUpperInvariant(c) - 'A'))) : w),
        new("small capitals", (w, _) => Map(w, c => SmallCapitals.TryGetValue(char.ToLowerInvariant(c), out var s) ? s.ToString() : null)),
        new("decomposed accents", (w, _) => w.Normalize(NormalizationForm.FormD)),
        new("discount in words", Spelled),
        new("html entities", (w, r) => Map(w, c => Entity(c, r)), Markup: true),
        new("html numeric references", (w, r) => Map(w, c => r.Next(2) == 0 ? $"&#{(int)c};" : $"&#x{(int)c:X};"), Markup: true),
        new("html tags inside the word", (w, r) => w.Length < 2 ? w : WebUtility.HtmlEncode(w[..(w.Length / 2)]) + Pick(r, "<b>", "<span style=\"color:#c00\">", "<font>", "<!-- -->") + WebUtility.HtmlEncode(w[(w.Length / 2)..]) + Pick(r, "</b>", "</span>", "</font>", ""), Markup: true),
        new("image alt text", (w, r) => $"<img src=\"https://cdn.example/{r.Next(1000)}.png\" alt=\"{WebUtility.HtmlEncode(w)}\">", Markup: true),
    ];

    /// <summary>Two disguises in a row: the second rewrites what the first wrote.</summary>
    public static IReadOnlyList<Disguise> Combined { get; } =
    [
        Then("cyrillic look-alikes", "zero-width characters"),
        Then("cyrillic look-alikes", "soft hyphens"),
        Then("digits for letters", "letter-spaced"),
        Then("digits for letters", "cyrillic look-alikes"),
        Then("fullwidth", "zero-width characters"),
        Then("fullwidth", "right-to-left override"),
        Then("mathematical letters", "emoji between characters"),
        Then("circled letters", "invisible formatting"),
        Then("keycap digits", "emoji between characters"),
        Then("discount in words", "cyrillic look-alikes"),
        Then("discount in words", "zero-width characters"),
        Then("small capitals", "dotted"),
        Then("decomposed accents", "letter-spaced"),
        Then("greek look-alikes", "right-to-left override"),
        Then("superscript letters", "soft hyphens"),
        Then("cyrillic look-alikes", "html numeric references"),
        Then("digits for letters", "html entities"),
    ];

    public static IReadOnlyList<Disguise> All { get; } = [.. Single, .. Combined];
}

using System.Text;
using CommsGateway.Core.Classification;

namespace CommsGateway.Core.Tests.Classification;

/// <summary>Each step of <see cref="PatientText.Reveal(string?, bool)"/>, table by table.</summary>
public sealed class PatientTextTests
{
    private static string Plain(string text) => PatientText.Reveal(text, isHtml: false);

    private static string Html(string text) => PatientText.Reveal(text, isHtml: true);

    [Theory]
    [InlineData("<p>Caf&eacute; &amp; th&#233;</p><br>fin", "Café & thé\nfin")]
    [InlineData("-20&percnt; sur les peelings", "-20% sur les peelings")]
    [InlineData("-20&#37; et -30&#x25; et -40&#X25;", "-20% et -30% et -40%")]
    [InlineData("10&euro;&nbsp;offerts", "10€ offerts")]
    [InlineData("prix&nbsp:&nbsp39 &eacutex", "prix : 39 éx")]
    [InlineData("&NotNestedGreaterGreater; &nGt;", "\u2AA2\u0338 \u226B\u20D2")]
    [InlineData("&#128; &#0; &#xD800; &#x110000;", "€ \uFFFD \uFFFD \uFFFD")]
    [InlineData("&unknown; & &#; &#x;", "&unknown; & &#; &#x;")]
    [InlineData("pro<b>mo</b> <span style=\"color:red\">code</span>", "promo code")]
    [InlineData("<div>Un</div><div>Deux</div><h1>Trois</h1><li>Quatre", "Un\nDeux\nTrois\nQuatre")]
    [InlineData("un\n  deux\r\n\ttrois", "un deux trois")]
    [InlineData("<img src=\"x.png\" alt=\"PROMO -20%\">", "PROMO -20%")]
    [InlineData("Voir<img alt='offre &eacute;t&eacute;' src=x>ici", "Voir offre été ici")]
    [InlineData("<head><title>Newsletter</title><style>p{color:red}</style></head><p>Bonjour</p>", "Bonjour")]
    [InlineData("<script>var promo = 1;</script>Rappel<!-- promo -->", "Rappel")]
    [InlineData("<div style=\"display:none\">Offre spéciale</div>Votre rendez-vous", "Offre spéciale\nVotre rendez-vous")]
    [InlineData("Prix < 5 € et a<b", "Prix < 5 € et a")]
    [InlineData("<a href=\"x?a=1&b=>2\">lien</a>", "lien")]
    public void Should_render_html_as_the_screen_shows_it(string html, string expected) => Assert.Equal(expected, Html(html));

    [Fact]
    public void Should_know_every_html5_named_reference() => Assert.Equal(2231, HtmlEntities.Count);

    [Theory]
    [InlineData("&percnt;", false, "&percnt;")]
    [InlineData("&amp;percnt;", true, "&percnt;")]
    public void Should_decode_references_in_html_only(string text, bool html, string expected) => Assert.Equal(expected, PatientText.Reveal(text, html));

    [Theory]
    [InlineData("Peeling －２０％", "Peeling -20%")]
    [InlineData("ＰＲＯＭＯ", "PROMO")]
    [InlineData("𝐏𝐑𝐎𝐌𝐎 𝓅𝓇𝑜𝓂𝑜 𝕡𝕣𝕠𝕞𝕠", "PROMO promo promo")]
    [InlineData("ⓟⓡⓞⓜⓞ", "promo")]
    [InlineData("🄿🅁🄾🄼🄾", "PROMO")]
    [InlineData("🅿🆁🅾🅼🅾 🅿️🆁🅾️", "PROMO PRO")]
    [InlineData("🅟🅡🅞🅜🅞", "PROMO")]
    [InlineData("🇵🇷🇴🇲🇴", "PROMO")]
    [InlineData("Bonjour 🇫🇷 !", "Bonjour 🇫🇷 !")]
    [InlineData("ᴘʀᴏᴍᴏ", "promo")]
    [InlineData("ᵖʳᵒᵐᵒ", "promo")]
    [InlineData("ﬁn de série ﬀ", "fin de série ff")]
    [InlineData("e\u0301te\u0301", "été")]
    [InlineData("🆓 🆕", "FREE NEW")]
    [InlineData("50\u2009%", "50 %")]
    public void Should_fold_compatibility_forms(string text, string expected) => Assert.Equal(expected, Plain(text));

    [Theory]
    [InlineData("-2️⃣0️⃣%", "-20%")]
    [InlineData("-2⃣0⃣%", "-20%")]
    [InlineData("🔟% off", "10% off")]
    [InlineData("-٢٠٪", "-20%")]
    [InlineData("-۲۰%", "-20%")]
    [InlineData("-२०%", "-20%")]
    [InlineData("-𝟐𝟎%", "-20%")]
    [InlineData("#️⃣1", "#1")]
    public void Should_read_digits_of_every_script(string text, string expected) => Assert.Equal(expected, Plain(text));

    [Theory]
    [InlineData("pro\u200Bmo", "promo")]
    [InlineData("pro\u200C\u200D\u2060mo", "promo")]
    [InlineData("\uFEFFBonjour", "Bonjour")]
    [InlineData("pro\u00ADmo", "promo")]
    [InlineData("pro\uFE0Fmo\uFE00", "promo")]
    [InlineData("pro\u200E\u200F\u202A\u202Cmo\u2066\u2069", "promo")]
    [InlineData("pro\U000E0041\U000E007Fmo", "promo")]
    [InlineData("pro\u034Fmo\u3164", "promo")]
    [InlineData("\u202Eomorp\u202C sur les soins", "promo sur les soins")]
    [InlineData("Offre \u202E%02-\u202C!", "Offre -20%!")]
    [InlineData("\u202Eomorp\nsuite", "promo\nsuite")]
    [InlineData("\u202Ee\u0301te\u0301\u202C", "été")]
    public void Should_drop_what_does_not_display(string text, string expected) => Assert.Equal(expected, Plain(text));

    [Fact]
    public void Should_show_a_lone_surrogate_as_the_replacement_character() =>
        Assert.Equal("a \uFFFD b \uFFFD c \uFFFD", Plain("a " + '\uD800' + " b " + '\uDC00' + " c \uFFFE"));

    [Theory]
    [InlineData("p🔥r🔥o🔥m🔥o", "promo")]
    [InlineData("pro💥mo", "promo")]
    [InlineData("-2🔥0%", "-20%")]
    [InlineData("p⭐️r⭐️o⭐️m⭐️o", "promo")]
    [InlineData("Bonjour😊Marie", "Bonjour😊Marie")]
    [InlineData("Bonjour 😊 Marie", "Bonjour 😊 Marie")]
    [InlineData("👍🏽 Merci", "👍🏽 Merci")]
    public void Should_rejoin_a_word_cut_by_symbols(string text, string expected) => Assert.Equal(expected, Plain(text));

    [Theory]
    [InlineData("p r o m o", "promo")]
    [InlineData("P R O M O sur tout", "PROMO sur tout")]
    [InlineData("p.r.o.m.o", "promo")]
    [InlineData("P-R-O-M-O", "PROMO")]
    [InlineData("o f f e r t", "offert")]
    [InlineData("f_r_e_e", "free")]
    [InlineData("p . r . o . m . o", "promo")]
    [InlineData("P R 0 M 0", "PROMO")]
    [InlineData("Dr J. K. Rowling", "Dr J. K. Rowling")]
    [InlineData("de A à Z", "de A à Z")]
    [InlineData("il y a à peine", "il y a à peine")]
    [InlineData("Vitamines A, C, E", "Vitamines A, C, E")]
    [InlineData("le 1 2 3 soleil", "le 1 2 3 soleil")]
    [InlineData("J.K. Rowling", "J.K. Rowling")]
    [InlineData("Plan A / B", "Plan A / B")]
    public void Should_rejoin_letter_spaced_words(string text, string expected) => Assert.Equal(expected, Plain(text));

    [Theory]
    [InlineData("рromo", "promo")]
    [InlineData("РRОМО", "PROMO")]
    [InlineData("оffеrt", "offert")]
    [InlineData("Οffre ѕрéciale", "Offre spéciale")]
    [InlineData("Bonjour Дмитрий", "Bonjour Дмитрий")]
    [InlineData("Bonjour Ελένη, à bientôt", "Bonjour Ελένη, à bientôt")]
    [InlineData("Здравствуйте, Дмитрий: ваш рост", "Здравствуйте, Дмитрий: ваш рост")]
    [InlineData("Réservez au tаrif ѕрécial", "Réservez au tarif spécial")]
    [InlineData("Hello сосо", "Hello coco")]
    [InlineData("Бесплатно сосо", "Бесплатно сосо")]
    [InlineData("王芳 محمد", "王芳 محمد")]
    public void Should_fold_lookalike_letters_only_in_latin_words(string text, string expected) => Assert.Equal(expected, Plain(text));

    [Theory]
    [InlineData("PR0M0", "PROMO")]
    [InlineData("0FF", "OFF")]
    [InlineData("-20% 0ff", "-20% off")]
    [InlineData("FR33 consultation", "FREE consultation")]
    [InlineData("pr1x", "prix")]
    [InlineData("gr@tuit", "gratuit")]
    [InlineData("$ale", "sale")]
    [InlineData("b0t0x", "botox")]
    [InlineData("S0LD3S", "SOLDES")]
    [InlineData("so1des", "soldes")]
    [InlineData("0ff3rt", "offert")]
    [InlineData("g1fts and 0ffr3s", "gifts and offres")]
    [InlineData("RDV à 10h30", "RDV à 10h30")]
    [InlineData("le 12/05/2025", "le 12/05/2025")]
    [InlineData("-20% sur 45,00 €", "-20% sur 45,00 €")]
    [InlineData("London W1G 9PF", "London W1G 9PF")]
    [InlineData("SW1A 1AA", "SW1A 1AA")]
    [InlineData("75008 Paris", "75008 Paris")]
    [InlineData("Réf. RDV1043", "Réf. RDV1043")]
    [InlineData("code ETE25", "code ETE25")]
    [InlineData("vitamine B12, 15mg, 1er, 3ème", "vitamine B12, 15mg, 1er, 3ème")]
    [InlineData("+33 1 23 45 67 89", "+33 1 23 45 67 89")]
    [InlineData("H1N1 COVID19 MP3", "H1N1 COVID19 MP3")]
    [InlineData("contact@clinique.fr", "contact@clinique.fr")]
    [InlineData("$50 off", "$50 off")]
    public void Should_read_digits_as_letters_only_inside_words(string text, string expected) => Assert.Equal(expected, Plain(text));

    [Theory]
    [InlineData("twenty percent off", "20% off")]
    [InlineData("Twenty-five per cent off", "25% off")]
    [InlineData("vingt pour cent", "20%")]
    [InlineData("cinquante pour cent de réduction", "50% de réduction")]
    [InlineData("soixante-dix pour cent", "70%")]
    [InlineData("quatre-vingt-dix pour cent", "90%")]
    [InlineData("vingt et un pourcent", "21%")]
    [InlineData("cent pour cent remboursé", "100% remboursé")]
    [InlineData("dix %", "10%")]
    [InlineData("20 percent off", "20% off")]
    [InlineData("half off whitening", "50% off whitening")]
    [InlineData("trois pour deux", "3 pour 2")]
    [InlineData("three for two", "3 for 2")]
    [InlineData("moitié prix", "moitié prix")]
    [InlineData("un rendez-vous pour deux personnes", "un rendez-vous pour deux personnes")]
    [InlineData("Merci pour votre visite", "Merci pour votre visite")]
    [InlineData("one dose for two weeks", "one dose for two weeks")]
    [InlineData("thanks for one thing", "thanks for one thing")]
    [InlineData("a table for two", "a table for two")]
    public void Should_write_spelled_discounts_in_figures(string text, string expected) => Assert.Equal(expected, Plain(text));

    [Theory]
    [InlineData("l’offre — d’été", "l’offre — d’été")]
    [InlineData("prix\u00A0:\u202F39\u00A0€", "prix : 39 €")]
    [InlineData("Bonjour,\n\nVotre rendez-vous.\r\nMerci", "Bonjour,\n\nVotre rendez-vous.\r\nMerci")]
    [InlineData("Café crème, Œil", "Café crème, Œil")]
    public void Should_keep_case_accents_punctuation_and_lines(string text, string expected) => Assert.Equal(expected, Plain(text));

    [Fact]
    public void Should_write_into_a_span_of_the_documented_size()
    {
        const string text = "ＰＲＯＭＯ ⑽ p r o m o";
        var destination = new char[PatientText.MaxLength(text.Length)];
        var length = PatientText.Reveal(text, isHtml: false, destination);
        Assert.Equal("PROMO (10) promo", new string(destination, 0, length));
        Assert.Throws<ArgumentException>(() => PatientText.Reveal(text, isHtml: false, new char[text.Length]));
    }

    [Fact]
    public void Should_bound_the_compatibility_expansion_of_every_character()
    {
        // NFKC lengthens a character by at most four, except those PatientText keeps as they are.
        var buffer = new char[64];
        for (var cp = 0x80; cp <= 0x10FFFF; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            var text = char.ConvertFromUtf32(cp);
            var folded = cp == 0xFFFE ? text : text.Normalize(NormalizationForm.FormKC);
            if (folded.Length > 4 * text.Length)
            {
                Assert.True(text.Length == 1 && PatientText.ExpandsTooMuch(text[0]), $"U+{cp:X4} expands to {folded.Length}");
            }

            var prepared = new char[PatientText.MaxLength(text.Length)];
            var length = PatientText.Compatibility(prepared.AsSpan(0, PatientText.Prepare(text, prepared)), buffer);
            Assert.True(length <= 4 * text.Length, $"U+{cp:X4}");
        }
    }

    [Fact]
    public void Should_reveal_the_same_with_and_without_the_fast_paths_on_the_corpus()
    {
        foreach (var message in ModelTests.CorpusFiles().SelectMany(f => f.Parse()))
        {
            foreach (var text in new[] { message.Subject ?? "", message.Body })
            {
                AssertSameReveal(text, isHtml: false);
            }
        }
    }

    [Fact]
    public void Should_reveal_the_same_with_and_without_the_fast_paths_on_unicode_noise()
    {
        // Pieces each step acts on (look-alikes, spaced and leet letters, symbols between letters, bidi, invisible
        // characters, marks after Latin letters, compatibility forms), plain text between them, and random code points.
        string[] pieces =
        [
            "Bonjour", "promo", "PR0M0", "gr@tuit", "b0t0x", " ", "  ", "\n", ".", ", ", "-", "é", "è", "ê", "É", "ç", "œ", "ß", "ı", "ª", "²", "¼", "µ",
            "\u00A0", "\u00AD", "’", "“", "…", "–", "€", "£", "e\u0301", "ê\u0301", "a\u0308\u0304", "\u0301", "рromo", "Дмитрий", "ΟΡ", "ᴘʀᴏᴍᴏ",
            "p r o m o", "p.r.o.m.o", "P-R-O-M-O", "p·r·o·m·o", "p • r • o", "il y a à", "p🔥r🔥o🔥m🔥o", "😉", "🅿", "🇫🇷", "\u202Eomorp\u202C",
            "\u200B", "\u200D", "\uFE0F", "ＰＲＯＭＯ", "⑽", "١٢", "\u1100\u1161", "\u1161", "\u3307", "twenty percent off", "cinquante pour cent", "10h30",
        ];
        var random = new Random(11);
        for (var round = 0; round < 3_000; round++)
        {
            var text = new StringBuilder();
            for (var k = random.Next(1, 30); k > 0; k--)
            {
                if (random.Next(4) == 0)
                {
                    var cp = random.Next(3) == 0 ? random.Next(0x80, 0x2100) : random.Next(0x80, 0x30000);
                    text.Append(cp is >= 0xD800 and <= 0xDFFF ? "\uD83D" : char.ConvertFromUtf32(cp));
                }
                else
                {
                    text.Append(pieces[random.Next(pieces.Length)]);
                }
            }

            AssertSameReveal(text.ToString(), isHtml: round % 5 == 0);
        }
    }

    private static void AssertSameReveal(string text, bool isHtml)
    {
        var fast = new char[PatientText.MaxLength(text.Length)];
        var general = new char[PatientText.MaxLength(text.Length)];
        var a = PatientText.Reveal(text, isHtml, fast, fast: true);
        var b = PatientText.Reveal(text, isHtml, general, fast: false);
        Assert.True(new string(general, 0, b) == new string(fast, 0, a), $"fast and general reveal differ on {Escape(text)}");
    }

    private static string Escape(string text) => string.Concat(text.Select(c => c is >= ' ' and < '\u007F' ? c.ToString() : $"\\u{(int)c:X4}"));

    [Fact]
    public void Should_keep_every_lookalike_table_one_to_one()
    {
        foreach (var c in "рРоОаАеЕсСхХуΟορΑЅѕіІ")
        {
            Assert.True(char.IsAsciiLetter(Confusables.ToLatin(c)), $"{c} U+{(int)c:X4}");
            Assert.NotEqual(Confusables.Script.Latin, Confusables.ScriptOf(c));
        }

        Assert.Equal('\0', Confusables.ToLatin('Д'));
    }
}

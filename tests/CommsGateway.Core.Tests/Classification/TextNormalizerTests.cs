using CommsGateway.Core.Classification;

namespace CommsGateway.Core.Tests.Classification;

public sealed class TextNormalizerTests
{
    [Theory]
    [InlineData("Réservez MAINTENANT", "reservez maintenant")]
    [InlineData("l’offre  d’été", "l'offre d'ete")]
    [InlineData("Œil, cœur", "oeil, coeur")]
    [InlineData("-20 % sur 1 800,00 €", "-0 % sur 0 0 €")]
    [InlineData("£450.00 paid", "£0 paid")]
    [InlineData("top-up rendez-vous", "top up rendez vous")]
    [InlineData("Hello 🎉 world", "hello\nworld")]
    [InlineData("a\r\n\r\n  b", "a\nb")]
    [InlineData("prix\u00A0:\u202F39\u00A0€", "prix : 0 €")]
    public void Should_fold_text(string input, string expected) => Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Theory]
    [InlineData("<p>Caf&eacute; &amp; th&#233;</p><br>fin", "cafe & the\nfin")]
    [InlineData("<b>-20%</b> off", "-0% off")]
    public void Should_read_html_text(string input, string expected) => Assert.Equal(expected, TextNormalizer.Normalize(input, html: true));

    [Fact]
    public void Should_fold_the_same_with_and_without_the_vector_path()
    {
        // Runs of letters and spaces (the vector path) cut by everything the scalar path handles.
        string[] pieces = ["Bonjour", "madame", "RDV", " ", " ", "  ", "\n", "-", "é", "Œ", "20", ",", "€", "🎉", "'", "’", ".", "x", "abcdefgh", "<p>", "&amp;"];
        var random = new Random(7);
        for (var round = 0; round < 2_000; round++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => pieces[random.Next(pieces.Length)]));
            foreach (var html in new[] { false, true })
            {
                var vectorised = new char[TextNormalizer.MaxLength(text.Length)];
                var scalar = new char[TextNormalizer.MaxLength(text.Length)];
                var a = TextNormalizer.Normalize(text, vectorised, html, vectorised: true);
                var b = TextNormalizer.Normalize(text, scalar, html, vectorised: false);
                Assert.Equal(new string(scalar, 0, b), new string(vectorised, 0, a));
            }
        }
    }
}

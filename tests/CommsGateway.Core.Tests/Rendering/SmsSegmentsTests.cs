using CommsGateway.Core.Rendering;

namespace CommsGateway.Core.Tests.Rendering;

public sealed class SmsSegmentsTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    [InlineData(1530, 10)]
    [InlineData(1531, 11)]
    public void Should_count_gsm7_segments_at_160_then_153(int length, int segments)
    {
        var count = SmsSegments.Count(new string('a', length));
        Assert.Equal((SmsEncoding.Gsm7, length, segments), (count.Encoding, count.Units, count.Segments));
    }

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    public void Should_count_ucs2_segments_at_70_then_67(int length, int segments)
    {
        var count = SmsSegments.Count("ê" + new string('a', length - 1));
        Assert.Equal((SmsEncoding.Ucs2, length, segments), (count.Encoding, count.Units, count.Segments));
    }

    [Fact]
    public void Should_count_extension_characters_as_two_septets()
    {
        var count = SmsSegments.Count("Prix: 30€ [promo] {x} ~ ^ | \\");
        Assert.Equal(SmsEncoding.Gsm7, count.Encoding);
        Assert.Equal(29 + 9, count.Units);
        Assert.Equal(2, SmsSegments.Count(new string('a', 159) + "€").Segments); // 161 septets
        Assert.Equal(1, SmsSegments.Count(new string('a', 158) + "€").Segments);
    }

    [Fact]
    public void Should_not_split_an_escape_pair_across_segments()
    {
        // 152 septets then "€" (2) would straddle the 153 boundary: it moves to segment 2.
        var text = new string('a', 152) + "€" + new string('a', 152);
        Assert.Equal(306, SmsSegments.Count(text).Units);
        Assert.Equal(3, SmsSegments.Count(text).Segments);
    }

    [Theory]
    [InlineData("Rendez-vous à 10h, Dr Müller. Répondez STOP.", SmsEncoding.Gsm7)]
    [InlineData("Arrêt", SmsEncoding.Ucs2)]
    [InlineData("ça va", SmsEncoding.Ucs2)]
    [InlineData("Ça va", SmsEncoding.Gsm7)]
    [InlineData("Nouveau soin 😊", SmsEncoding.Ucs2)]
    [InlineData("«offre»", SmsEncoding.Ucs2)]
    public void Should_detect_the_encoding(string text, SmsEncoding expected) => Assert.Equal(expected, SmsSegments.Count(text).Encoding);

    [Fact]
    public void Should_count_an_emoji_as_two_ucs2_units_and_not_split_it()
    {
        Assert.Equal(2, SmsSegments.Count("😊").Units);
        // 66 units, then a surrogate pair that would straddle the 67-unit boundary, then 66 more: 134 units would
        // fit 2 segments if the pair could be split; it cannot, so 3.
        var count = SmsSegments.Count("ê" + new string('a', 65) + "😊" + new string('a', 66));
        Assert.Equal((134, 3), (count.Units, count.Segments));
    }
}

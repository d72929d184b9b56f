using System.Text;
using CommsGateway.Core.Classification;

namespace CommsGateway.Core.Tests.Classification;

/// <summary>
/// The automaton against the obvious way of finding keywords (every occurrence of every keyword, whole words
/// only), on generated texts long enough to be cut into interleaved lanes: same matches, same order.
/// </summary>
public sealed class KeywordAutomatonTests
{
    private static readonly KeywordAutomaton Automaton = ClassifierEngine.Shared.Automaton;
    private static readonly string[] Filler = ["le", "la", "a", "de", "the", "rdv", "soin", "to", "0", "€", "%", "-", "'", ".", "!", "?", "o"];
    private static readonly string[] Joints = [" ", " ", " ", "\n", "", "-", ". "];

    [Fact]
    public void Should_find_exactly_what_a_naive_search_finds_on_generated_texts()
    {
        var random = new Random(20261122);
        var lanesUsed = 0;
        for (var round = 0; round < 400; round++)
        {
            var text = GeneratedText(random, length: random.Next(1, 3_000));
            lanesUsed += text.Length >= 5 * Automaton.MaxKeywordLength ? 1 : 0;

            var matches = new KeywordMatch[4 * 2_048];
            var found = Automaton.Scan(text, matches);

            var expected = NaiveMatches(text);
            Assert.True(expected.SequenceEqual(matches[..found]),
                $"round {round}: automaton found {found}, naive {expected.Count}; first difference near " +
                $"{FirstDifference(expected, matches[..found])} in \"{text}\"");
        }

        Assert.True(lanesUsed > 100, $"only {lanesUsed} texts were long enough for the interleaved lanes");
    }

    [Fact]
    public void Should_scan_three_texts_together_as_it_scans_each_alone()
    {
        // Short texts (one lane each, read together) and long ones (left to Scan), of unequal lengths, small buffers too.
        var random = new Random(7);
        for (var round = 0; round < 400; round++)
        {
            var texts = Enumerable.Range(0, 3).Select(_ => GeneratedText(random, length: random.Next(0, round % 4 == 0 ? 600 : 140))).ToArray();
            var size = round % 5 == 0 ? 3 : 192;
            var together = texts.Select(_ => new KeywordMatch[size]).ToArray();
            Automaton.ScanThree(texts[0], texts[1], texts[2], together[0], together[1], together[2], out var f0, out var f1, out var f2);
            int[] counts = [f0, f1, f2];
            for (var k = 0; k < 3; k++)
            {
                var alone = new KeywordMatch[size];
                var found = Automaton.Scan(texts[k], alone);
                Assert.True(alone.AsSpan(0, found).SequenceEqual(together[k].AsSpan(0, counts[k])), $"round {round}, text {k}: \"{texts[k]}\"");
            }
        }
    }

    [Fact]
    public void Should_find_a_keyword_that_straddles_each_lane_boundary()
    {
        var keyword = Automaton.Keywords.First(k => !k.Stem && k.Text.Length >= 8 && k.Text.All(char.IsAsciiLetterLower)).Text;
        var filler = new string('x', 1_000);
        foreach (var position in Enumerable.Range(0, 1_000).Where(p => p % 7 == 0))
        {
            var text = filler[..position] + " " + keyword + " " + filler[position..];
            var matches = new KeywordMatch[64];
            var found = Automaton.Scan(text, matches);
            Assert.Contains(matches[..found], m => m.Start == position + 1 && Automaton.Keywords[m.Keyword].Text == keyword);
        }
    }

    [Fact]
    public void Should_drop_matches_beyond_the_buffer_without_failing()
    {
        var keyword = Automaton.Keywords.First(k => !k.Stem && k.Text.All(char.IsAsciiLetterLower)).Text;
        var text = string.Join(' ', Enumerable.Repeat(keyword, 500));
        var matches = new KeywordMatch[40];

        var found = Automaton.Scan(text, matches);

        Assert.InRange(found, 1, 40);
        Assert.True(matches[..found].Zip(matches[1..found]).All(p => p.First.End < p.Second.End), "matches stay in text order");
    }

    private static string GeneratedText(Random random, int length)
    {
        var text = new StringBuilder();
        while (text.Length < length)
        {
            text.Append(random.Next(3) == 0
                ? Automaton.Keywords[random.Next(Automaton.Keywords.Length)].Text
                : Filler[random.Next(Filler.Length)]);
            text.Append(Joints[random.Next(Joints.Length)]);
        }

        return text.ToString();
    }

    private static List<KeywordMatch> NaiveMatches(string text)
    {
        var found = new List<KeywordMatch>();
        for (var k = 0; k < Automaton.Keywords.Length; k++)
        {
            var keyword = Automaton.Keywords[k];
            for (var at = text.IndexOf(keyword.Text, StringComparison.Ordinal); at >= 0; at = text.IndexOf(keyword.Text, at + 1, StringComparison.Ordinal))
            {
                var end = at + keyword.Text.Length;
                var first = keyword.Text[0];
                var startsClean = !(TextNormalizer.IsWord(first) || first == '-') || at == 0 || !TextNormalizer.IsWord(text[at - 1]);
                var endsClean = keyword.Stem || !TextNormalizer.IsWord(keyword.Text[^1]) || end == text.Length || !TextNormalizer.IsWord(text[end]);
                if (startsClean && endsClean)
                {
                    found.Add(new KeywordMatch(k, at, end));
                }
            }
        }

        // The automaton reports by end position, the longest keyword first among those ending together.
        return [.. found.OrderBy(m => m.End).ThenBy(m => m.Start)];
    }

    private static string FirstDifference(List<KeywordMatch> expected, KeywordMatch[] actual)
    {
        var i = 0;
        while (i < expected.Count && i < actual.Length && expected[i] == actual[i])
        {
            i++;
        }

        return $"#{i}: expected {(i < expected.Count ? expected[i] : null)}, got {(i < actual.Length ? actual[i] : null)}";
    }
}

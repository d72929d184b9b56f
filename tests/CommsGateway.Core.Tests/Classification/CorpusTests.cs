using CommsGateway.Core.Classification;
using Xunit.Abstractions;

namespace CommsGateway.Core.Tests.Classification;

/// <summary>
/// The classifier against labelled messages: the shared public corpus and this project's own cases. Three answers:
/// marketing is caught when answered marketing or review; service may be held for review, within the review budget.
/// </summary>
public sealed class CorpusTests(ITestOutputHelper output)
{
    private readonly ContentClassifier classifier = new();

    [Fact]
    public void Should_reach_the_targets_on_the_public_corpus()
    {
        var corpus = LabelledCorpus.Load(LabelledCorpus.SharedCorpus("classifier-public.jsonl"));
        Assert.Equal(60, corpus.Count);

        var matrix = LabelledCorpus.Evaluate(corpus, classifier);
        output.WriteLine("classifier-public.jsonl");
        output.WriteLine(matrix.ToString());
        output.WriteLine(matrix.Details());

        Assert.True(matrix.MarketingRecall >= 0.98, $"marketing caught {matrix.MarketingRecall:0.000} < 0.98\n{matrix}");
        Assert.True(matrix.ServiceCalledMarketing <= 0.04, $"service called marketing {matrix.ServiceCalledMarketing:0.000} > 0.04\n{matrix}");
        Assert.True(matrix.ReviewRate <= 0.12, $"review rate {matrix.ReviewRate:0.000} > 0.12\n{matrix}");
    }

    [Fact]
    public void Should_reach_the_targets_on_our_own_cases()
    {
        var cases = LabelledCorpus.Load(Path.Combine(AppContext.BaseDirectory, "Classification", "own-cases.jsonl"));
        Assert.True(cases.Count >= 40, $"only {cases.Count} own cases");
        Assert.Contains(cases, c => c.Lang == "fr");
        Assert.Contains(cases, c => c.Lang == "en");

        var matrix = LabelledCorpus.Evaluate(cases, classifier);
        output.WriteLine("own-cases.jsonl");
        output.WriteLine(matrix.ToString());
        output.WriteLine(matrix.Details());

        Assert.True(matrix.MarketingRecall >= 0.98, $"marketing caught {matrix.MarketingRecall:0.000} < 0.98\n{matrix}");
        Assert.True(matrix.ServiceCalledMarketing <= 0.04, $"service called marketing {matrix.ServiceCalledMarketing:0.000} > 0.04\n{matrix}");
        Assert.True(matrix.ReviewRate <= 0.12, $"review rate {matrix.ReviewRate:0.000} > 0.12\n{matrix}");
    }
}

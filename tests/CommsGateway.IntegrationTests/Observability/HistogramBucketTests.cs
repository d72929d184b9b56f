using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CommsGateway.Contracts;
using CommsGateway.IntegrationTests.Infrastructure;
using CommsGateway.Observability;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Observability;

/// <summary>
/// Every `_seconds` histogram of /metrics has second-scale buckets, and the provider-outage runbook's p99 query,
/// read from the runbook itself and evaluated on a real scrape as Prometheus' histogram_quantile does, finds the
/// latency that was recorded.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed partial class HistogramBucketTests(GatewayFixture gateway)
{
    [GeneratedRegex(@"^(?<name>\w+_seconds)_bucket\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Bucket();

    [GeneratedRegex(@"histogram_quantile\((?<q>0\.\d+), sum by \(le(?:, (?<by>\w+))?\) \(rate\((?<metric>\w+)_bucket\[")]
    private static partial Regex RunbookQuery();

    private async Task<string> ScrapeAsync()
    {
        using var client = gateway.Factory.CreateClient();
        return await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
    }

    private static double Le(string labels) => Regex.Match(labels, "le=\"(?<le>[^\"]+)\"").Groups["le"].Value is var le && le == "+Inf"
        ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);

    /// <summary>Cumulative counts per upper bound of one series (labels other than le all contained in <paramref name="match"/>).</summary>
    private static SortedDictionary<double, double> Buckets(string scrape, string metric, string match) => new(Bucket().Matches(scrape)
        .Where(m => m.Groups["name"].Value == metric && m.Groups["labels"].Value.Contains(match, StringComparison.Ordinal))
        .GroupBy(m => Le(m.Groups["labels"].Value))
        .ToDictionary(g => g.Key, g => g.Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture))));

    /// <summary>Prometheus' histogram_quantile: find the bucket holding rank q·total, interpolate linearly inside it.</summary>
    private static double HistogramQuantile(double q, SortedDictionary<double, double> cumulative)
    {
        var total = cumulative[double.PositiveInfinity];
        var rank = q * total;
        var (lower, below) = (0.0, 0.0);
        foreach (var (upper, count) in cumulative)
        {
            if (count >= rank)
            {
                return double.IsPositiveInfinity(upper) ? lower : lower + (upper - lower) * ((rank - below) / (count - below));
            }

            (lower, below) = (upper, count);
        }

        return lower;
    }

    [Fact]
    public async Task Should_expose_every_seconds_histogram_with_buckets_from_a_millisecond_to_ten_seconds()
    {
        gateway.Services.GetRequiredService<GatewayMetrics>().Classified(GatewayMetrics.Start()); // at least one series
        var scrape = await ScrapeAsync();

        var histograms = Bucket().Matches(scrape).GroupBy(m => m.Groups["name"].Value).ToList();
        Assert.Contains(histograms, h => h.Key == "commsgw_classification_duration_seconds");
        Assert.All(histograms, h =>
        {
            var bounds = h.Select(m => Le(m.Groups["labels"].Value)).Where(double.IsFinite).Distinct().Order().ToList();
            Assert.True(bounds[0] <= 0.005, $"{h.Key}: smallest bucket {bounds[0]} s");
            Assert.True(bounds[^1] <= 10, $"{h.Key}: largest bucket {bounds[^1]} s (millisecond-scale bounds)");
        });
    }

    [Fact]
    public async Task Should_answer_the_runbook_p99_query_from_the_scraped_buckets()
    {
        var runbook = await File.ReadAllTextAsync(Repository.PathOf("runbooks", "provider-outage.md"));
        var query = RunbookQuery().Match(runbook);
        Assert.True(query.Success, "the runbook's histogram_quantile query is not where it was");
        var (q, metric) = (double.Parse(query.Groups["q"].Value, CultureInfo.InvariantCulture), query.Groups["metric"].Value);
        Assert.Equal("channel", query.Groups["by"].Value);

        // A channel no real send uses, so the other tests' sends do not mix in: 90 calls of 20 ms, 10 of 0.8 s.
        var metrics = gateway.Services.GetRequiredService<GatewayMetrics>();
        const string series = "channel=\"Unknown\"";
        var before = Buckets(await ScrapeAsync(), metric, series);
        for (var i = 0; i < 100; i++)
        {
            var took = i < 90 ? 0.020 : 0.8;
            metrics.ProviderCalled(Channel.Unknown, Stopwatch.GetTimestamp() - (long)(took * Stopwatch.Frequency), succeeded: true, null);
        }

        // The exporter caches a scrape for a moment: scrape again until the 100 calls show.
        SortedDictionary<double, double> recorded;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(400);
            var after = Buckets(await ScrapeAsync(), metric, series);
            recorded = new(after.ToDictionary(b => b.Key, b => b.Value - before.GetValueOrDefault(b.Key)));
        }
        while (recorded.GetValueOrDefault(double.PositiveInfinity) < 100 && DateTime.UtcNow < deadline);

        Assert.Equal(100, recorded[double.PositiveInfinity]);
        var p99 = HistogramQuantile(q, recorded);
        var p50 = HistogramQuantile(0.5, recorded);
        Assert.InRange(p99, 0.5, 1.0); // the bucket holding the slow calls (0.8 s)
        Assert.InRange(p50, 0.01, 0.025); // the bucket holding the fast ones (20 ms)
    }
}

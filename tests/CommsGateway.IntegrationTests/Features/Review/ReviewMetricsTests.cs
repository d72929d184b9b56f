using CommsGateway.Contracts;
using CommsGateway.IntegrationTests.Cli;
using CommsGateway.IntegrationTests.Infrastructure;

namespace CommsGateway.IntegrationTests.Features.Review;

/// <summary>The review queue gauges on /metrics (serial: every gateway in the process reports on the same meter name).</summary>
[Collection(SerialCollection.Name)]
public sealed class ReviewMetricsTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Should_expose_the_queue_depth_and_age_as_global_gauges()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Promotion);
        var (clinic, patient) = await ReviewCommandTests.ClinicAsync(gateway);
        await ReviewCommandTests.PublishHeldAsync(gateway, ReviewCommandTests.Sms(clinic.TenantId, patient, UncertainSamples.Promotion, Purpose.Marketing));

        using var client = gateway.Factory.CreateClient();
        static double Sample(string scrape, string name) => scrape.Split('\n')
            .Where(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max();
        var scrape = await Poll.UntilAsync(() => client.GetStringAsync(new Uri("/metrics", UriKind.Relative)),
            m => Sample(m, "commsgw_review_queue_depth") >= 1, TimeSpan.FromSeconds(30));
        Assert.True(Sample(scrape, "commsgw_review_queue_depth") >= 1,
            "no commsgw_review_queue_depth sample >= 1:\n" + string.Join('\n', scrape.Split('\n').Where(l => l.Contains("review", StringComparison.Ordinal))));
        Assert.True(Sample(scrape, "commsgw_review_queue_oldest_seconds") >= 0, "no commsgw_review_queue_oldest_seconds sample");
        Assert.DoesNotContain(scrape.Split('\n'), l => l.StartsWith("commsgw_review_queue", StringComparison.Ordinal) && l.Contains(clinic.TenantId, StringComparison.Ordinal));
    }
}

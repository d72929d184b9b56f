using System.Globalization;
using CommsGateway.Contracts;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;

namespace CommsGateway.IntegrationTests.Observability;

/// <summary>/metrics after real sends: classification time, provider latency and errors, and the sweeper's decisions counted.</summary>
[Collection(SerialCollection.Name)]
public sealed class MetricsTests(GatewayFixture gateway)
{
    private async Task<string> ScrapeAsync()
    {
        using var client = gateway.Factory.CreateClient();
        return await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
    }

    /// <summary>Sum of a series' samples whose labels include all of <paramref name="labels"/> (0 when absent).</summary>
    private static double Value(string metrics, string name, params string[] labels) => metrics.Split('\n')
        .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
        .Where(l => labels.All(label => l.Contains(label, StringComparison.Ordinal)))
        .Sum(l => double.Parse(l.Split(' ')[^1], CultureInfo.InvariantCulture));

    private static MessageIntent Reminder(Channel channel, string to) => new()
    {
        IntentId = $"metrics-{Guid.NewGuid():N}", TenantId = $"t-metrics-{Guid.NewGuid():N}"[..20], Producer = "booking", PatientId = "p-1",
        Channel = channel, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder",
        Subject = channel == Channel.Email ? "Votre rendez-vous" : null, Body = "Reminder: your appointment is tomorrow at 10:30.", To = to,
    };

    [Fact]
    public async Task Should_show_classification_time_and_provider_latency_and_errors_after_sends()
    {
        var before = await ScrapeAsync();
        var sent = Reminder(Channel.Email, "metrics@example.org");
        var rejected = Reminder(Channel.Sms, FakeProviderServer.InvalidNumber);
        foreach (var intent in new[] { sent, rejected })
        {
            await gateway.SeedRecipientAsync(intent);
            await gateway.PublishAsync(intent);
        }

        Assert.Equal(DecisionOutcome.Sent, Assert.Single(await gateway.WaitForDecidedAsync(sent.IntentId)).Outcome);
        await gateway.WaitForDecidedAsync(rejected.IntentId);

        // Provider calls finish after the decision is published: scrape until they show (or the deadline).
        string[] emailOk = ["channel=\"Email\"", "result=\"ok\""], smsError = ["channel=\"Sms\"", "result=\"error\""];
        bool Grew(string scrape, string name, double by, params string[] labels) => Value(scrape, name, labels) >= Value(before, name, labels) + by;
        bool All(string scrape) =>
            Grew(scrape, "commsgw_classification_duration_seconds_count", 2)
            && Grew(scrape, "commsgw_provider_duration_seconds_count", 1, emailOk)
            && Grew(scrape, "commsgw_provider_duration_seconds_count", 1, smsError)
            && Grew(scrape, "commsgw_provider_errors_total", 1, "channel=\"Sms\"");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var after = await ScrapeAsync();
        while (!All(after) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            after = await ScrapeAsync();
        }

        Assert.True(Grew(after, "commsgw_classification_duration_seconds_count", 2), "classification duration");
        Assert.True(Grew(after, "commsgw_provider_duration_seconds_count", 1, emailOk), "provider duration, email ok");
        Assert.True(Grew(after, "commsgw_provider_duration_seconds_count", 1, smsError), "provider duration, sms error");
        Assert.True(Grew(after, "commsgw_provider_errors_total", 1, "channel=\"Sms\""), "provider errors, sms");
    }

    [Fact]
    public async Task Should_show_Npgsql_database_client_metrics()
    {
        var intent = Reminder(Channel.Sms, "+33612345678");
        await gateway.SeedRecipientAsync(intent);
        await gateway.PublishAsync(intent);
        await gateway.WaitForDecidedAsync(intent.IntentId);

        // Npgsql's own instruments (Npgsql.OpenTelemetry), exported beside the gateway's: commands run, their duration, the pool.
        var scrape = await ScrapeAsync();
        Assert.Contains(scrape.Split('\n'), l => l.StartsWith("db_client_", StringComparison.Ordinal) && !l.StartsWith('#'));
    }

    [Fact]
    public async Task Should_count_the_decisions_the_error_queue_sweeper_makes()
    {
        const string series = "commsgw_decisions_total";
        var before = Value(await ScrapeAsync(), series, "outcome=\"Rejected\"", "channel=\"Unknown\"");
        var messageId = Guid.NewGuid().ToString();

        await gateway.PublishRawAsync("{\"intentId\": \"not-json-at-all", messageId);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        double after;
        while ((after = Value(await ScrapeAsync(), series, "outcome=\"Rejected\"", "channel=\"Unknown\"")) < before + 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(before + 1, after);
    }
}

using System.Net;
using System.Net.Http.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Privacy;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CommsGateway.IntegrationTests.Observability;

[Collection(OpsCollection.Name)]
public sealed class ObservabilityTests(OpsFixture ops)
{
    [Fact]
    public async Task Should_expose_the_decision_counter_with_its_outcome_label_at_metrics()
    {
        var tenant = "t-metrics-" + Guid.NewGuid().ToString("N")[..8];
        var intentId = "metrics-" + Guid.NewGuid().ToString("N");
        // No body: always Rejected, whatever the policy needs for a send.
        await ops.PublishAsync(new MessageIntent
        {
            IntentId = intentId, TenantId = tenant, Producer = "booking", PatientId = "p-1",
            Channel = Channel.Sms, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder", Body = "",
        });
        var outcomes = await ops.WaitForTenantDecisionsAsync(tenant, 1);
        Assert.Equal("Rejected", outcomes[intentId]);

        using var client = ops.Factory.CreateClient();
        var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("commsgw_decisions_total{", StringComparison.Ordinal)
            && l.Contains("outcome=\"Rejected\"", StringComparison.Ordinal) && l.Contains("channel=\"Sms\"", StringComparison.Ordinal));
        Assert.NotNull(line);
        Assert.True(double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Contains("commsgw_decision_reasons_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("commsgw_queue_lag_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(tenant, metrics, StringComparison.Ordinal); // no tenant or intent ids as labels
    }

    [Fact]
    public async Task Should_answer_ready_with_a_json_body_listing_each_check()
    {
        using var client = ops.Factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var names = body.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("postgresql", names);
        Assert.Contains("masstransit-bus", names);
    }

    [Fact]
    public void Should_mask_contact_data_that_code_logs_by_mistake()
    {
        var logger = ops.Services.GetRequiredService<ILogger<ObservabilityTests>>();
        var marker = Guid.NewGuid().ToString("N");
#pragma warning disable CA2254 // the point is a careless log line
        logger.LogWarning("careless " + marker + " to jane.careless@example.org");
#pragma warning restore CA2254
        logger.LogWarning("careless {Marker} to {Phone}", marker, "+33 6 11 22 33 44");
        logger.LogError(new InvalidOperationException("boom for bob@example.net"), "careless {Marker}", marker);

        var entries = ops.Logs.Entries.Where(e => e.Contains(marker, StringComparison.Ordinal)).ToList();
        Assert.Equal(3, entries.Count);
        Assert.All(entries, e => Assert.False(PersonalDataMask.ContainsPersonalData(e), e));
        Assert.Contains(entries, e => e.Contains(PersonalDataMask.EmailToken, StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Contains(PersonalDataMask.PhoneToken, StringComparison.Ordinal));
    }
}

using CommsGateway.Contracts;
using CommsGateway.Features.Audit;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;

namespace CommsGateway.IntegrationTests.Features.Intents;

/// <summary>The batched writer under concurrency: one row per intent, every repeat a Duplicate, nothing sent twice.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BatchedDecisionWriterTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Should_write_one_row_per_intent_when_500_intents_are_published_twice_concurrently()
    {
        var tenant = $"t-batch-{Guid.NewGuid():N}";
        var intents = Enumerable.Range(0, 500).Select(i => new MessageIntent
        {
            IntentId = $"batch-{i:D3}-{Guid.NewGuid():N}",
            TenantId = tenant,
            Producer = "booking",
            PatientId = $"p-{i}",
            Channel = (Channel)(1 + (i % 3)),
            DeclaredPurpose = Purpose.Service,
            Category = "appointment_reminder",
            Subject = i % 3 == 0 ? "Reminder" : null,
            Body = $"Reminder: your appointment with Dr Patel is tomorrow at 10:30. Ref {i}.",
        }).ToList();

        foreach (var intent in intents)
        {
            await gateway.SeedRecipientAsync(intent);
        }

        await Task.WhenAll(intents.Concat(intents).Select(gateway.PublishAsync));

        var ids = intents.Select(i => i.IntentId).ToHashSet(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        List<MessageDecided> events;
        do
        {
            await Task.Delay(200);
            events = gateway.Decided.Where(d => ids.Contains(d.IntentId)).ToList();
        }
        while (events.Count < 1_000 && DateTime.UtcNow < deadline);

        await using var connection = await gateway.Db.OpenConnectionAsync();
        var rows = await connection.ExecuteScalarAsync<long>("select count(*) from decisions where tenant_id = @tenant", new { tenant });
        var distinct = await connection.ExecuteScalarAsync<long>("select count(distinct intent_id) from decisions where tenant_id = @tenant", new { tenant });
        var dispatches = await connection.ExecuteScalarAsync<long>("select count(*) from dispatches where tenant_id = @tenant", new { tenant });

        Assert.Equal(500, rows);
        Assert.Equal(500, distinct);
        Assert.Equal(1_000, events.Count);
        Assert.Equal(500, events.Count(e => e.Outcome == DecisionOutcome.Duplicate));
        Assert.Equal(500, events.Count(e => e.Outcome == DecisionOutcome.Sent));
        Assert.All(events.GroupBy(e => e.IntentId), g => Assert.Equal(2, g.Count()));
        Assert.Equal(500, dispatches); // sent once each, never twice
        var report = await DecisionChainVerifier.VerifyAsync(gateway.Db, tenant, CancellationToken.None);
        Assert.True(report.Intact, report.FirstBroken?.Problem);
        Assert.Equal(500, report.RowsChecked);
    }
}

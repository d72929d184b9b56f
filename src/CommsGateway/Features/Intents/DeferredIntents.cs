using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Hosting;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Intents;

/// <summary>Parks a deferred intent until it is due.</summary>
public sealed class DeferredIntents(NpgsqlDataSource dataSource)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task ParkAsync(MessageIntent intent, Guid deferredDecisionId, DateTimeOffset dueAt, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into deferred_intents (tenant_id, intent_id, due_at, intent, deferred_decision_id)
            values (@TenantId, @IntentId, @dueAt, @intent::jsonb, @deferredDecisionId)
            on conflict (tenant_id, intent_id) do nothing
            """, new { intent.TenantId, intent.IntentId, dueAt = dueAt.UtcDateTime, intent = JsonSerializer.Serialize(intent, Json), deferredDecisionId },
            cancellationToken: ct));
    }
}

/// <summary>
/// Re-evaluates deferred intents when due: consent may have been withdrawn meanwhile, so the policy runs
/// again from scratch. Rows are claimed with FOR UPDATE SKIP LOCKED, so several gateways share the work
/// and none decides the same intent twice; the final decision's unique index is the second guard.
/// </summary>
internal sealed class DeferredIntentPoller(
    NpgsqlDataSource dataSource,
    IServiceProvider services,
    MassTransit.IBus bus,
    TimeProvider clock,
    ILogger<DeferredIntentPoller> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Polling.RunAsync(RunOnceAsync, Interval, clock,
        ex => ex is NpgsqlException or TimeoutException or InvalidOperationException,
        ex => logger.LogWarning(ex, "Deferred-intent poller failed; retrying"), stoppingToken);

    /// <summary>Claims and settles up to one batch of due intents; returns how many it handled.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var pipeline = services.GetRequiredService<IntentPipeline>();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var due = (await connection.QueryAsync<(string TenantId, string IntentId, string Intent)>(new CommandDefinition("""
            select tenant_id, intent_id, intent::text
            from deferred_intents
            where due_at <= @now
            order by due_at
            limit 50
            for update skip locked
            """, new { now = clock.GetUtcNow().UtcDateTime }, tx, cancellationToken: ct))).ToList();

        foreach (var row in due)
        {
            var intent = JsonSerializer.Deserialize<MessageIntent>(row.Intent, DeferredIntents.Json)!;
            var (decided, redeferredUntil) = await pipeline.ReevaluateDeferredAsync(intent, ct);
            if (decided is not null)
            {
                await bus.Publish(decided, ct);
            }

            if (redeferredUntil is { } until)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "update deferred_intents set due_at = @until, attempts = attempts + 1 where tenant_id = @TenantId and intent_id = @IntentId",
                    new { until = until.UtcDateTime, row.TenantId, row.IntentId }, tx, cancellationToken: ct));
            }
            else
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "delete from deferred_intents where tenant_id = @TenantId and intent_id = @IntentId",
                    new { row.TenantId, row.IntentId }, tx, cancellationToken: ct));
            }
        }

        await tx.CommitAsync(ct);
        return due.Count;
    }
}

using CommsGateway.Contracts;
using CommsGateway.Features.Intents;
using CommsGateway.Hosting;
using CommsGateway.Observability;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Review;

/// <summary>
/// Finishes held intents: those a person settled (API or CLI, gateway running or not) are decided through the
/// pipeline with the verdict; those nobody settled before they expired end Blocked ReviewTimedOut. Rows are claimed
/// with FOR UPDATE SKIP LOCKED (several gateways share the work); the final decision's unique index is the second
/// guard. Either way the content is purged: the row keeps the review, not the message.
/// </summary>
internal sealed class ReviewPoller(
    NpgsqlDataSource dataSource,
    IServiceProvider services,
    MassTransit.IBus bus,
    TimeProvider clock,
    ILogger<ReviewPoller> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var metrics = services.GetRequiredService<ReviewQueueGauge>();
        return Polling.RunAsync(async ct =>
            {
                var handled = await RunOnceAsync(ct);
                await metrics.RefreshAsync(ct);
                return handled;
            },
            Interval, clock,
            ex => ex is NpgsqlException or TimeoutException or InvalidOperationException or System.Security.Cryptography.CryptographicException,
            ex => logger.LogWarning(ex, "Review poller failed; retrying"), stoppingToken);
    }

    /// <summary>Decides up to one batch of settled intents and times out up to one batch of expired ones; returns how many.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var pipeline = services.GetRequiredService<IntentPipeline>();
        var queue = services.GetRequiredService<ReviewQueue>();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Two statements: PostgreSQL allows no FOR UPDATE on a UNION.
        var due = (await connection.QueryAsync<(Guid HeldId, string TenantId, string IntentId, byte[]? Content, string Status)>(new CommandDefinition("""
            select held_id, tenant_id, intent_id, content, status from held_intents
            where status = 'settled' order by reviewed_at limit 50 for update skip locked
            """, cancellationToken: ct, transaction: tx))).ToList();
        due.AddRange(await connection.QueryAsync<(Guid HeldId, string TenantId, string IntentId, byte[]? Content, string Status)>(new CommandDefinition("""
            select held_id, tenant_id, intent_id, content, status from held_intents
            where status = 'held' and expires_at <= @now order by expires_at limit 50 for update skip locked
            """, new { now = clock.GetUtcNow().UtcDateTime }, tx, cancellationToken: ct)));

        foreach (var row in due)
        {
            var reviewed = row.Status == "settled";
            MessageDecided decided;
            Contracts.MessageIntent? intent = null;
            try
            {
                intent = row.Content is { } content ? queue.Decrypt(content, row.TenantId, row.IntentId).Intent : null;
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or System.Text.Json.JsonException)
            {
                // Not the key it was sealed with: retrying cannot help, and one such row must not stall the queue.
                logger.LogWarning(ex, "Held intent {HeldId} cannot be decrypted (Review:ContentKey changed?)", row.HeldId);
            }

            if (intent is not null)
            {
                decided = reviewed ? await pipeline.DecideReviewedAsync(intent, ct) : await pipeline.TimeOutReviewAsync(intent, ct);
            }
            else
            {
                decided = await pipeline.CloseUnreadableHeldAsync(row.TenantId, row.IntentId,
                    row.Content is null ? "the held content is gone" : "the held content cannot be decrypted", ct);
            }

            await bus.Publish(decided, ct);

            await connection.ExecuteAsync(new CommandDefinition("""
                update held_intents
                set status = @status, content = null, settled_at = @now, final_decision_id = @decisionId
                where held_id = @HeldId
                """, new
            {
                status = reviewed && intent is not null ? "decided" : "timed_out", now = clock.GetUtcNow().UtcDateTime, decisionId = decided.DecisionId, row.HeldId,
            }, tx, cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
        return due.Count;
    }
}

/// <summary>The review queue's depth and its oldest item's age, global (no clinic label), refreshed by the poller.</summary>
internal sealed class ReviewQueueGauge(ReviewQueue queue, GatewayMetrics metrics, TimeProvider clock)
{
    private DateTimeOffset _refreshed = DateTimeOffset.MinValue;

    public async Task RefreshAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (now - _refreshed < TimeSpan.FromSeconds(5))
        {
            return;
        }

        _refreshed = now;
        var (depth, oldest) = await queue.DepthAsync(ct);
        metrics.ReviewQueue(depth, oldest is { } at ? now - at : TimeSpan.Zero);
    }
}

using System.Diagnostics;
using CommsGateway.Contracts;
using CommsGateway.Core.Policy;
using CommsGateway.Data;
using CommsGateway.Features.Intents;
using Npgsql;

namespace CommsGateway.Cli.Bench;

/// <summary>
/// PostgreSQL alone: N decision-shaped rows appended through the gateway's own write path (DecisionLog), from as
/// many concurrent callers as the consumer runs (ConcurrentMessageLimit), on a fresh migrated database.
/// </summary>
internal static class RawDatabaseBench
{
    /// <param name="chained">false measures the same batched writer without the hash chain (its locks, head reads, hashing).</param>
    public static async Task<double> RunAsync(BenchServers servers, int n, int concurrency, bool chained, CancellationToken ct)
    {
        var connectionString = await servers.CreateDatabaseAsync(ct);
        await using var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
        await MigrationRunner.ApplyAsync(dataSource, ct);
        if (!chained)
        {
            await using var command = dataSource.CreateCommand("alter table decisions drop constraint decisions_chained");
            await command.ExecuteNonQueryAsync(ct);
        }

        await using var log = new DecisionLog(dataSource, chained);

        var run = Guid.NewGuid().ToString("N")[..8];
        var records = Enumerable.Range(0, n).Select(i => Record(run, i)).ToArray();
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
            {
                if (!(await log.AppendAsync(records[i], ct)).Inserted)
                {
                    throw new InvalidOperationException("bench rows are unique; a conflict means the writer is wrong");
                }
            }
        }, ct)));
        return n / clock.Elapsed.TotalSeconds;
    }

    internal static DecisionRecord Record(string run, int i)
    {
        var intent = IntentMix.Create(run, i);
        var now = DateTimeOffset.UtcNow;
        return new DecisionRecord(Guid.CreateVersion7(now), intent.TenantId, intent.IntentId, intent.PatientId, intent.Producer,
            intent.Channel, intent.Category, intent.CampaignId, intent.DeclaredPurpose, Purpose.Marketing,
            DecisionOutcome.Sent, [ReasonCodes.MarketingConsentGranted], ["signal: offer"],
            System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)), null, SendPolicy.Version, null, now);
    }
}

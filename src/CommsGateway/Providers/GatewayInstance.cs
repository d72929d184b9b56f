using Npgsql;

namespace CommsGateway.Providers;

/// <summary>
/// This gateway process as the claimant of dispatches: a random key written on each claim (<c>dispatches.claimed_by</c>).
/// While the process lives it holds a PostgreSQL advisory lock on its key (<see cref="ClaimantLock"/>); PostgreSQL
/// releases it the moment the process dies (its connection closes), so anyone can tell whether a claim's call may
/// still be running.
/// </summary>
public sealed class GatewayInstance
{
    /// <summary>Positive, so the advisory lock's two halves read back the same way in <c>pg_locks</c>.</summary>
    public long Key { get; } = Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>SQL: true when the process whose key is in <paramref name="column"/> still holds its lock (is alive).</summary>
    internal static string ClaimantAliveSql(string column) => $"""
        exists (select 1 from pg_locks l
                where l.locktype = 'advisory' and l.objsubid = 1 and l.granted
                  and ((l.classid::bigint << 32) | l.objid::bigint) = {column})
        """;
}

/// <summary>
/// Holds <see cref="GatewayInstance.Key"/>'s advisory lock on a connection of its own for the life of the process, and
/// takes it again after the database comes back (a restart releases every lock).
/// </summary>
internal sealed class ClaimantLock(NpgsqlDataSource dataSource, GatewayInstance instance, TimeProvider clock, ILogger<ClaimantLock> logger)
    : BackgroundService
{
    private static readonly TimeSpan Check = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                await using (var take = new NpgsqlCommand("select pg_advisory_lock($1)", connection))
                {
                    take.Parameters.Add(new NpgsqlParameter<long> { TypedValue = instance.Key });
                    await take.ExecuteNonQueryAsync(stoppingToken);
                }

                try
                {
                    while (!stoppingToken.IsCancellationRequested)
                    {
                        await Task.Delay(Check, clock, stoppingToken);
                        await using var ping = new NpgsqlCommand("select 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
                finally
                {
                    await ReleaseAsync(connection);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or System.Net.Sockets.SocketException or IOException)
            {
                logger.LogWarning("Claimant lock lost ({Error}); taking it again", ex.GetType().Name);
                await Task.Delay(Check, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>The connection goes back to the pool: never with this process's lock on it.</summary>
    private async Task ReleaseAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var release = new NpgsqlCommand("select pg_advisory_unlock($1)", connection);
            release.Parameters.Add(new NpgsqlParameter<long> { TypedValue = instance.Key });
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
        {
            // The connection is already broken: the server released the lock with it.
        }
    }
}

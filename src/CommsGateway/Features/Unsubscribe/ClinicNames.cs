using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommsGateway.Features.Unsubscribe;

/// <summary>
/// The clinic's display name for footers and unsubscribe pages: the tenants table, else
/// Unsubscribe:ClinicNames, else the tenant id. Cached for a few minutes: it sits on the send path.
/// </summary>
public sealed class ClinicNames(NpgsqlDataSource dataSource, IOptions<UnsubscribeOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, (string Name, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    public async Task<string> NameAsync(string tenantId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(tenantId, out var cached) && cached.Until > now)
        {
            return cached.Name;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var name = await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition(
            "select name from tenants where tenant_id = @tenantId", new { tenantId }, cancellationToken: ct));
        var resolved = string.IsNullOrWhiteSpace(name) ? options.Value.ClinicName(tenantId) : name;
        _cache[tenantId] = (resolved, now + Ttl);
        return resolved;
    }
}

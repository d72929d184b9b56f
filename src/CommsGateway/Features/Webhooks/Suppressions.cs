using CommsGateway.Contracts;
using CommsGateway.Core.Privacy;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Webhooks;

/// <summary>
/// Address-level blocks (table <c>suppressions</c>, 0002), keyed by the HMAC-SHA256 of the normalised address
/// (<see cref="AddressHasher"/>) so the address itself is never kept, nor derivable without the key. Written inside the
/// caller's transaction, next to the matching ledger event.
/// </summary>
internal static class Suppressions
{
    public const string HardBounce = "hard_bounce";
    public const string SpamComplaint = "spam_complaint";
    public const string ProviderOptOut = "provider_opt_out";

    public static Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AddressHasher hasher, string tenantId, Channel channel,
        string normalizedAddress, string reason, CancellationToken ct) =>
        AddAsync(connection, tx, hasher, tenantId, WireNames.Of(channel), normalizedAddress, reason, ct);

    public static Task<int> AddAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AddressHasher hasher, string tenantId, string channel,
        string normalizedAddress, string reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        return connection.ExecuteAsync(new CommandDefinition("""
            insert into suppressions (tenant_id, channel, address_hash, reason)
            values (@tenantId, @channel, @hash, @reason)
            on conflict do nothing
            """, new { tenantId, channel, hash = hasher.Hash(normalizedAddress), reason },
            tx, cancellationToken: ct));
    }

    /// <summary>A START reply lifts the provider's opt-out block (Twilio unblocks the number on START too); complaints and bounces stay.</summary>
    public static Task<int> LiftProviderOptOutAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AddressHasher hasher, string tenantId, Channel channel,
        string normalizedAddress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        return connection.ExecuteAsync(new CommandDefinition("""
            delete from suppressions
            where tenant_id = @tenantId and channel = @channel and address_hash = @hash and reason = 'provider_opt_out'
            """, new { tenantId, channel = WireNames.Of(channel), hash = hasher.Hash(normalizedAddress) },
            tx, cancellationToken: ct));
    }
}

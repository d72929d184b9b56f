using CommsGateway.Contracts;
using CommsGateway.Core.Privacy;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Webhooks;

/// <summary>
/// Address-level blocks (table <c>suppressions</c>, 0002), keyed by the HMAC-SHA256 of the normalised address
/// (<see cref="AddressHasher"/>, 0017) so the address itself is never kept, nor derivable without the key. Rows from
/// before 0017 hold the unkeyed SHA-256 (<c>hash_scheme = 'sha256'</c>) and are still matched. Written inside the
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
            insert into suppressions (tenant_id, channel, address_hash, reason, hash_scheme)
            values (@tenantId, @channel, @hash, @reason, @scheme)
            on conflict do nothing
            """, new { tenantId, channel, hash = hasher.Hash(normalizedAddress), reason, scheme = AddressHasher.KeyedScheme },
            tx, cancellationToken: ct));
    }

    /// <summary>A START reply lifts the provider's opt-out block (Twilio unblocks the number on START too); complaints and bounces stay.</summary>
    public static Task<int> LiftProviderOptOutAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AddressHasher hasher, string tenantId, Channel channel,
        string normalizedAddress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        return connection.ExecuteAsync(new CommandDefinition("""
            delete from suppressions
            where tenant_id = @tenantId and channel = @channel and address_hash in (@hash, @legacy) and reason = 'provider_opt_out'
            """, new { tenantId, channel = WireNames.Of(channel), hash = hasher.Hash(normalizedAddress), legacy = AddressHasher.LegacyHash(normalizedAddress) },
            tx, cancellationToken: ct));
    }

    /// <summary>
    /// Replaces legacy SHA-256 rows whose address is still in <c>contacts</c> (all of them, or one tenant's patient) by
    /// keyed rows, keeping reason and date. Returns how many were re-keyed. Legacy rows of addresses no longer held
    /// cannot be re-keyed (there is nothing to hash) and stay as they are.
    /// </summary>
    public static Task<int> RekeyLegacyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AddressHasher hasher,
        string? tenantId, string? patientId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        return connection.ExecuteAsync(new CommandDefinition("""
            with addresses as (
                select c.tenant_id, a.channel, convert_to(a.address, 'UTF8') as bytes
                from contacts c
                cross join lateral (values ('email', c.email), ('sms', c.phone_e164), ('whatsapp', c.phone_e164),
                                           ('whatsapp', c.whatsapp_e164)) as a(channel, address)
                where a.address is not null
                  and (@tenantId::text is null or c.tenant_id = @tenantId) and (@patientId::text is null or c.patient_id = @patientId)
                  and exists (select 1 from suppressions where hash_scheme = 'sha256')
            ), legacy as (
                delete from suppressions s using addresses a
                where s.hash_scheme = 'sha256' and s.tenant_id = a.tenant_id and s.channel = a.channel and s.address_hash = sha256(a.bytes)
                returning s.tenant_id, s.channel, hmac(a.bytes, @key, 'sha256') as address_hash, s.reason, s.created_at
            )
            insert into suppressions (tenant_id, channel, address_hash, reason, created_at, hash_scheme)
            select tenant_id, channel, address_hash, reason, created_at, 'hmac-sha256' from legacy
            on conflict do nothing
            """, new { tenantId, patientId, key = hasher.Key }, tx, cancellationToken: ct));
    }

}

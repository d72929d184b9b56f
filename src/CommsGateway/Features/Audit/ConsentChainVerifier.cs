using Dapper;
using Npgsql;

namespace CommsGateway.Features.Audit;

/// <summary>A broken link of a tenant's consent chain: which event, and what is wrong with it.</summary>
public sealed record BrokenConsentLink(long ChainSeq, long EventId, string Problem);

public sealed record ConsentChainReport(string TenantId, long EventsChecked, long Tombstones, BrokenConsentLink? FirstBroken)
{
    public bool Intact => FirstBroken is null;
}

/// <summary>
/// Re-computes a tenant's consent-ledger chain (0011_consent_chain.sql) in chain order: every live event's hash
/// is recomputed from its fields, every link must point at the previous event's hash, and the sequence must
/// have no gap. Events removed by retention are bridged by their tombstones (their hashes, kept on removal). The
/// chain must end at the tenant's head (consent_chain_head), so removing the newest events is caught too.
/// </summary>
public static class ConsentChainVerifier
{
    private sealed record Head(long ChainSeq, byte[] RowHash);

    private sealed record Link(long ChainSeq, long EventId, byte[] PrevHash, byte[] RowHash, byte[]? Recomputed, bool Tombstone);

    public static async Task<ConsentChainReport> VerifyAsync(NpgsqlDataSource dataSource, string tenantId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var links = await connection.QueryAsync<Link>(new CommandDefinition("""
            select chain_seq, event_id, prev_hash, row_hash, sha256(consent_event_canonical(e) || e.prev_hash) as recomputed, false as tombstone
            from consent_events e where tenant_id = @tenantId and chain_seq is not null
            union all
            select chain_seq, event_id, prev_hash, row_hash, null, true
            from consent_chain_tombstones where tenant_id = @tenantId
            order by chain_seq
            """, new { tenantId }, tx, cancellationToken: ct));
        // The head is written with every event (same transaction): a chain that ends before it lost its newest events.
        var head = await connection.QuerySingleOrDefaultAsync<Head>(new CommandDefinition(
            "select chain_seq, row_hash from consent_chain_head where tenant_id = @tenantId", new { tenantId }, tx, cancellationToken: ct));

        byte[] expectedPrev = [];
        long expectedSeq = 1, checkedEvents = 0, tombstones = 0;
        foreach (var link in links)
        {
            var problem =
                link.ChainSeq != expectedSeq ? $"chain_seq {link.ChainSeq} follows {expectedSeq - 1}: an event was removed without a trace, or inserted"
                : !link.PrevHash.AsSpan().SequenceEqual(expectedPrev) ? "prev_hash does not match the previous event's hash (an event was removed, inserted or reordered before it)"
                : !link.Tombstone && !link.Recomputed!.AsSpan().SequenceEqual(link.RowHash) ? "the event's content no longer matches its hash (altered)"
                : null;
            if (problem is not null)
            {
                return new ConsentChainReport(tenantId, checkedEvents, tombstones, new BrokenConsentLink(link.ChainSeq, link.EventId, problem));
            }

            expectedPrev = link.RowHash;
            expectedSeq++;
            if (link.Tombstone)
            {
                tombstones++;
            }
            else
            {
                checkedEvents++;
            }
        }

        var lastSeq = expectedSeq - 1;
        var tail = (head, lastSeq) switch
        {
            (null, 0) => null,
            (null, _) => "the tenant's chain head is missing (removed behind the trigger)",
            ({ } h, _) when h.ChainSeq != lastSeq || !h.RowHash.AsSpan().SequenceEqual(expectedPrev) =>
                $"the chain ends at position {lastSeq} but its head records position {h.ChainSeq}: the newest events were removed (or the head altered)",
            _ => null,
        };
        return new ConsentChainReport(tenantId, checkedEvents, tombstones, tail is null ? null : new BrokenConsentLink(lastSeq + 1, 0, tail));
    }
}

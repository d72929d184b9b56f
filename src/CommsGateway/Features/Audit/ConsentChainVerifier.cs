using CommsGateway.Core.Audit;
using CommsGateway.Features.Consent;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Audit;

/// <summary>A broken link of a tenant's consent chain: which event, and what is wrong with it.</summary>
public sealed record BrokenConsentLink(long ChainSeq, long EventId, string Problem);

public sealed record ConsentChainReport(string TenantId, long EventsChecked, long Tombstones, BrokenConsentLink? FirstBroken)
{
    public bool Intact => FirstBroken is null;

    /// <summary>Events older than the chain (written before it started): reported, never silently accepted after it.</summary>
    public long UnchainedEvents { get; init; }
}

/// <summary>
/// Re-computes a tenant's consent-ledger chain in chain order with the one chain verifier (<see cref="ChainVerifier"/>):
/// every live event's hash is recomputed from its fields (<see cref="Core.Consent.ConsentChainEntry"/>, read by the
/// ledger, which owns the table), every link must point at the previous event's hash, and the positions must have no
/// gap. Events removed by retention are bridged by their
/// tombstones (their hashes, kept on removal). The chain must end at the tenant's head (consent_chain_head), so
/// removing the newest events is caught too. An event without a position after the chain started was written
/// around the ledger's append path.
/// </summary>
public static class ConsentChainVerifier
{
    private sealed record Head(long ChainSeq, byte[] RowHash);

    public static async Task<ConsentChainReport> VerifyAsync(NpgsqlDataSource dataSource, string tenantId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var all = await ConsentLedger.ChainAsync(connection, tx, tenantId, ct);
        // The head is written with every event (same transaction): a chain that ends before it lost its newest events.
        var head = await connection.QuerySingleOrDefaultAsync<Head>(new CommandDefinition(
            "select chain_seq, row_hash from consent_chain_head where tenant_id = @tenantId", new { tenantId }, tx, cancellationToken: ct));

        var chain = ChainVerifier.FromGenesis();
        long expectedSeq = 1, checkedEvents = 0, tombstones = 0, unchained = 0;
        long? firstChainedId = null;
        foreach (var link in all.Where(l => l.ChainSeq is not null))
        {
            firstChainedId ??= link.EventId;
            var problem = link.ChainSeq != expectedSeq
                ? $"chain_seq {link.ChainSeq} follows {expectedSeq - 1}: an event was removed without a trace, or inserted"
                : chain.Next(link.Link) is { } fault ? ChainVerifier.Describe(fault, "event") : null;
            if (problem is not null)
            {
                return new ConsentChainReport(tenantId, checkedEvents, tombstones, new BrokenConsentLink(link.ChainSeq ?? 0, link.EventId, problem))
                {
                    UnchainedEvents = unchained,
                };
            }

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

        // Events without a position: older than the chain, or written around the append path after it started.
        foreach (var link in all.Where(l => l.ChainSeq is null))
        {
            if (firstChainedId is { } first && link.EventId > first)
            {
                return new ConsentChainReport(tenantId, checkedEvents, tombstones,
                    new BrokenConsentLink(0, link.EventId, ChainVerifier.Describe(ChainFault.Unhashed, "event")))
                {
                    UnchainedEvents = unchained,
                };
            }

            unchained++;
        }

        var lastSeq = expectedSeq - 1;
        var tail = chain.EndsAt(head?.RowHash) && (head?.ChainSeq ?? 0) == lastSeq
            ? null
            : head is null
                ? "the tenant's chain head is missing (removed behind the ledger)"
                : $"the chain ends at position {lastSeq} but its head records position {head.ChainSeq}: the newest events were removed (or the head altered)";
        return new ConsentChainReport(tenantId, checkedEvents, tombstones, tail is null ? null : new BrokenConsentLink(lastSeq + 1, 0, tail))
        {
            UnchainedEvents = unchained,
        };
    }
}

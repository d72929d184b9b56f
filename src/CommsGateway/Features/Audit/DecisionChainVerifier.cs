using CommsGateway.Core.Audit;
using CommsGateway.Features.Intents;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Audit;

/// <summary>The first row where a tenant's chain does not hold, and why.</summary>
public sealed record BrokenLink(long Seq, string IntentId, Guid DecisionId, string Problem);

public sealed record ChainReport(string TenantId, long RowsChecked, long UnchainedRows, BrokenLink? FirstBroken)
{
    public bool Intact => FirstBroken is null;
}

/// <summary>
/// Re-computes a tenant's decision chain in seq order with the one chain verifier (<see cref="ChainVerifier"/>): each
/// row's prev_hash must equal the previous row's row_hash (genesis for the first), and row_hash must equal SHA-256 of
/// the canonical row (ChainHash v1).
/// An edited row fails its own hash; a deleted or inserted row breaks the next link. Rows older than the
/// chain (written before migration 0004) are counted as unchained, never silently accepted after it starts.
/// The chain must end at the tenant's head (decision_chain_head), so removing the newest rows is caught too.
/// </summary>
public static class DecisionChainVerifier
{
    public static async Task<ChainReport> VerifyAsync(NpgsqlDataSource dataSource, string tenantId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // Repeatable read: one consistent snapshot even while gateways keep appending.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        // Retention removes the oldest rows as one run and records the last removed row's hash: the chain that
        // remains must continue from that anchor instead of the genesis hash.
        byte[]? anchor;
        await using (var anchorQuery = new NpgsqlCommand("""
            select chain_anchor from retention_runs
            where tenant_id = $1 and table_name = 'decisions' and not dry_run and removed > 0
            order by run_id desc limit 1
            """, connection, tx) { Parameters = { new NpgsqlParameter { Value = tenantId } } })
        {
            anchor = await anchorQuery.ExecuteScalarAsync(ct) as byte[];
        }

        // The head (0014_decision_chain_head.sql) moves with every insert: a chain ending before it lost its newest rows.
        var head = await connection.QuerySingleOrDefaultAsync<(long Seq, byte[] RowHash)?>(new CommandDefinition(
            "select seq, row_hash from decision_chain_head where tenant_id = @tenantId", new { tenantId }, tx, cancellationToken: ct));

        await using var command = new NpgsqlCommand($"select {DecisionRow.Columns} from decisions where tenant_id = $1 order by seq", connection, tx)
        {
            Parameters = { new NpgsqlParameter { Value = tenantId } },
        };
        await using var reader = await command.ExecuteReaderAsync(ct);
        var chain = new ChainVerifier(anchor ?? ChainHash.Genesis.ToArray());
        long checkedRows = 0, unchained = 0, lastSeq = 0;
        var started = false;
        while (await reader.ReadAsync(ct))
        {
            var row = DecisionRow.Read(reader);
            if (row.RowHash is null && !started)
            {
                unchained++;
                continue;
            }

            started = true;
            checkedRows++;
            var problem = row is { RowHash: not null, PrevHash: not null } && row.ChainVersion != ChainHash.Version
                ? $"unknown chain version {row.ChainVersion}"
                : chain.Next(new StoredLink(row.PrevHash, row.RowHash, row.Canonical())) is { } fault ? ChainVerifier.Describe(fault, "row") : null;
            if (problem is not null)
            {
                return new ChainReport(tenantId, checkedRows, unchained, new BrokenLink(row.Seq, row.IntentId, row.DecisionId, problem));
            }

            lastSeq = row.Seq;
        }

        // No head and nothing chained (a tenant with no decisions, or only rows older than the chain) is fine. The
        // head may equal the retention anchor when retention removed every row.
        var tailProblem = head is not { } h
            ? (checkedRows > 0 ? "the tenant's chain head is missing (removed behind the trigger)" : null)
            : !chain.EndsAt(h.RowHash)
                ? $"the chain ends at seq {lastSeq} but its head records seq {h.Seq}: the newest rows were removed (or the head altered)"
                : null;
        return new ChainReport(tenantId, checkedRows, unchained,
            tailProblem is null ? null : new BrokenLink(head?.Seq ?? lastSeq, "(removed)", Guid.Empty, tailProblem));
    }
}

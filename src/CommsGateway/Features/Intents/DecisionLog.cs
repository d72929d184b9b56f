using CommsGateway.Contracts;
using CommsGateway.Core.Audit;
using System.Diagnostics;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace CommsGateway.Features.Intents;

/// <summary>One row of the decision log: what was asked (hashed), what was detected, what was decided and why.</summary>
public sealed record DecisionRecord(
    Guid DecisionId,
    string TenantId,
    string IntentId,
    string? PatientId,
    string? Producer,
    Channel Channel,
    string? Category,
    string? CampaignId,
    Purpose DeclaredPurpose,
    Purpose DetectedPurpose,
    DecisionOutcome Outcome,
    IReadOnlyList<string> Reasons,
    IReadOnlyList<string> Details,
    byte[]? ContentSha256,
    long? ConsentEventId,
    string PolicyVersion,
    DateTimeOffset? DeferredUntil,
    DateTimeOffset DecidedAt)
{
    /// <summary>The event producers are told about this decision (MessageDecided): whoever decided it.</summary>
    public MessageDecided ToEvent() => new()
    {
        IntentId = IntentId,
        TenantId = TenantId,
        DecisionId = DecisionId,
        Outcome = Outcome,
        Reasons = Reasons,
        DetectedPurpose = DetectedPurpose,
        Channel = Channel,
        CampaignId = CampaignId,
        DecidedAt = DecidedAt,
    };
}

/// <summary>
/// The outcome of an append: the row was written, or the intent already had a decision (returned). Claimed: the
/// dispatch claim (a <c>dispatches</c> row "dispatching") was committed in the same transaction as the decision.
/// </summary>
public sealed record AppendResult(bool Inserted, DecisionRecord Decision, bool Claimed = false);

/// <summary>
/// The decision log's SQL. Insert-only, hash-chained per tenant, and batched: every append goes through a
/// writer loop (one per lane, a tenant always in the same lane), which takes what concurrent consumers queued (up to <see cref="MaxBatch"/> rows),
/// and in ONE transaction locks the batch's tenants (sorted, so instances never deadlock), reads each tenant's
/// chain head and the intents' existing decisions, chains and inserts the new rows, and commits (one fsync
/// for the batch: synchronous_commit stays on). Each caller awaits its own row's result, so a consumer acks
/// only after its row is durable and still learns "inserted or duplicate" without a second round trip.
/// ALL appends must come through here: a row inserted around the writer would break its tenant's chain.
/// </summary>
public sealed class DecisionLog : IAsyncDisposable
{
    /// <summary>Rows per transaction at most; batches form naturally while the previous one commits.</summary>
    internal const int MaxBatch = 512;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _chained;
    /// <summary>
    /// Writer lanes per process. A tenant always maps to the same lane, so lanes never wait on each other's
    /// tenant locks and their commits overlap (PostgreSQL groups the fsyncs); one lane alone is bound by
    /// lookup + insert + commit in series.
    /// </summary>
    internal const int Lanes = 4;

    private readonly Infrastructure.Batcher<PendingAppend, AppendResult>[] _lanes;

    private readonly long? _claimant;

    private readonly IntentTelemetry? _telemetry;

    public DecisionLog(NpgsqlDataSource dataSource, Providers.GatewayInstance instance, IntentTelemetry telemetry) : this(dataSource, chained: true)
    {
        ArgumentNullException.ThrowIfNull(instance);
        _claimant = instance.Key;
        _telemetry = telemetry;
    }

    /// <summary><paramref name="chained"/> false only for the bench's "cost of the chain" comparison.</summary>
    internal DecisionLog(NpgsqlDataSource dataSource, bool chained)
    {
        _dataSource = dataSource;
        _chained = chained;
        _lanes = [.. Enumerable.Range(0, Lanes).Select(_ =>
            new Infrastructure.Batcher<PendingAppend, AppendResult>(WriteAppendsAsync, new Infrastructure.BatcherOptions(MaxBatch)))];
        _batches = new Infrastructure.Batcher<PendingBatch, AppendResult[]>(WriteBatchesAsync, new Infrastructure.BatcherOptions(MaxBatch),
            batch => batch.Rows.Count);
    }

    /// <summary>
    /// Consumed batches waiting for the batch writer. Every batch locks most tenants, so concurrent batches' appends
    /// would only wait for each other's locks: one writer instead takes the batches queued meanwhile into ONE
    /// transaction (a batch is never split), one lock acquisition and one commit for them all.
    /// </summary>
    private readonly Infrastructure.Batcher<PendingBatch, AppendResult[]> _batches;

    /// <summary>Raised once new decision rows are committed (bench, metrics). Handlers must be quick and not throw.</summary>
    public event Action<DecisionRecord>? Committed;

    /// <summary>An existing decision for the intent (final first), or null.</summary>
    public async Task<DecisionRecord?> FindAsync(string tenantId, string intentId, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<DecisionRow>(new CommandDefinition($"""
            select {DecisionRow.Columns}
            from decisions
            where tenant_id = @tenantId and intent_id = @intentId
            order by (outcome in ('Deferred', 'Held')), seq
            limit 1
            """, new { tenantId, intentId }, cancellationToken: ct));
        return row?.ToRecord();
    }

    /// <summary>
    /// The first decision of an intent: appended, or, when the intent already has any decision (a redelivery,
    /// a re-publish), not appended and the existing one returned (final before deferred).
    /// </summary>
    public Task<AppendResult> AppendAsync(DecisionRecord record, CancellationToken ct) => EnqueueAsync(record, duplicateIfAny: true, null, ct);

    /// <summary>
    /// As <see cref="AppendAsync(DecisionRecord, CancellationToken)"/>, and when the row is new, claims its dispatch
    /// for <paramref name="claimProvider"/> in the SAME transaction: the decision to send and the right to call the
    /// provider commit together (one round trip less per send, and no "decided but unclaimed" window). The unique
    /// decision per intent already makes exactly one consumer the claimant.
    /// </summary>
    public Task<AppendResult> AppendAsync(DecisionRecord record, string claimProvider, CancellationToken ct) =>
        EnqueueAsync(record, duplicateIfAny: true, claimProvider, ct);

    /// <summary>
    /// Appends the decision; false when the intent already has one of the same kind (final, deferred or held:
    /// a deferred or held decision may precede the final one).
    /// </summary>
    public async Task<bool> TryAppendAsync(DecisionRecord record, CancellationToken ct) =>
        (await EnqueueAsync(record, duplicateIfAny: false, null, ct)).Inserted;

    /// <summary>
    /// The first decisions of a consumed batch, in ONE transaction of its own (not through the writer lanes): each row
    /// appended, or, when its intent already has a decision (a redelivery, a re-publish, or an earlier row of the same
    /// batch), not appended and the existing one returned. A row with a claim provider claims its dispatch in the same
    /// transaction. <paramref name="alongside"/> statements run in the same transaction, before the commit (the
    /// unsubscribe subscriber references of the batch's links). Throws when the transaction fails: nothing was written.
    /// </summary>
    public async Task<IReadOnlyList<AppendResult>> AppendBatchAsync(IReadOnlyList<(DecisionRecord Record, string? ClaimProvider)> rows,
        IReadOnlyList<NpgsqlBatchCommand> alongside, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(alongside);
        ct.ThrowIfCancellationRequested();
        using var activity = IntentTelemetry.Source.StartActivity("intent.append");
        activity?.SetTag("decision.rows", rows.Count);
        return await _batches.EnqueueAsync(new PendingBatch([.. rows.Select(r => new PendingAppend(r.Record, duplicateIfAny: true, r.ClaimProvider))], alongside));
    }

    private async Task<IReadOnlyList<AppendResult[]>> WriteBatchesAsync(IReadOnlyList<PendingBatch> taken)
    {
        var (committed, outcomes) = await FlushAsync([.. taken.SelectMany(b => b.Rows)], [.. taken.SelectMany(b => b.Alongside)]);
        var results = new AppendResult[taken.Count][];
        var offset = 0;
        for (var i = 0; i < taken.Count; i++)
        {
            results[i] = outcomes[offset..(offset + taken[i].Rows.Count)];
            offset += taken[i].Rows.Count;
        }

        Announce(committed);
        return results;
    }

    private Task<AppendResult> EnqueueAsync(DecisionRecord record, bool duplicateIfAny, string? claimProvider, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(record);
        ct.ThrowIfCancellationRequested();
        // The caller's token does not abandon a queued row: once queued it is written (or the batch fails),
        // and the caller learns which, so it never acks a row that is not committed.
        var lane = (int)((uint)record.TenantId.GetHashCode(StringComparison.Ordinal) % Lanes);
        return _lanes[lane].EnqueueAsync(new PendingAppend(record, duplicateIfAny, claimProvider));
    }

    private async Task<IReadOnlyList<AppendResult>> WriteAppendsAsync(IReadOnlyList<PendingAppend> batch)
    {
        var (committed, outcomes) = await FlushAsync([.. batch], []);
        Announce(committed);
        return outcomes;
    }

    private void Announce(List<DecisionRecord> committed)
    {
        foreach (var record in committed)
        {
            try
            {
                Committed?.Invoke(record);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The rows are committed: a failing observer must not make the batch retry (and answer Duplicate).
                Activity.Current?.AddException(ex);
            }
        }
    }

    private async Task<(List<DecisionRecord> Committed, AppendResult[] Outcomes)> FlushAsync(List<PendingAppend> batch, IReadOnlyList<NpgsqlBatchCommand> alongside)
    {
        var tenants = batch.Select(p => p.Record.TenantId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        await using var connection = await _dataSource.OpenConnectionAsync();
        try
        {
            var flushed = await FlushAsync(connection, batch, tenants, alongside);
            _telemetry?.Appended(batch.Count);
            return flushed;
        }
        catch
        {
            // The transaction is driven by SQL (below), so roll it back by SQL before the connection goes back to the pool.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await using var rollback = new NpgsqlCommand("rollback", connection);
                await rollback.ExecuteNonQueryAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// Two round trips per batch: [begin; lock; heads; existing] then [inserts...; commit]. BEGIN and COMMIT
    /// travel inside the batches (not NpgsqlTransaction, which costs a round trip of its own for COMMIT);
    /// under the load of a busy host each round trip costs milliseconds, so their count sets the throughput.
    /// </summary>
    private async Task<(List<DecisionRecord> Committed, AppendResult[] Outcomes)> FlushAsync(NpgsqlConnection connection, List<PendingAppend> batch,
        string[] tenants, IReadOnlyList<NpgsqlBatchCommand> alongside)
    {
        // Round trip 1: lock the tenants' chains, read their heads and the intents' existing decisions.
        var heads = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var existing = new Dictionary<(string, string), List<DecisionRecord>>();
        await using (var lookup = new NpgsqlBatch(connection))
        {
            lookup.BatchCommands.Add(new NpgsqlBatchCommand("begin"));
            if (_chained)
            {
                // Sorted by lock key so that two instances lock overlapping tenant sets in the same order.
                lookup.BatchCommands.Add(Command("""
                    select pg_advisory_xact_lock(k)
                    from (select distinct hashtextextended(t, 0) as k from unnest($1::text[]) as t order by k) as keys
                    """, tenants));
                lookup.BatchCommands.Add(Command("""
                    select t.tenant_id,
                           coalesce(
                               (select d.row_hash from decisions d where d.tenant_id = t.tenant_id order by d.seq desc limit 1),
                               -- Retention removed every row: the chain continues from the last removed row's hash.
                               (select r.chain_anchor from retention_runs r
                                where r.tenant_id = t.tenant_id and r.table_name = 'decisions' and not r.dry_run and r.removed > 0
                                order by r.run_id desc limit 1))
                    from unnest($1::text[]) as t(tenant_id)
                    """, tenants));
            }

            // One branch per partial unique index, so each probe is an index lookup.
            lookup.BatchCommands.Add(Command($"""
                select d.* from unnest($1::text[], $2::text[]) as k(tenant_id, intent_id)
                cross join lateral (
                    select {DecisionRow.Columns}, 0 as deferred_rank from decisions
                    where tenant_id = k.tenant_id and intent_id = k.intent_id and outcome not in ('Deferred', 'Held')
                    union all
                    select {DecisionRow.Columns}, 1 from decisions
                    where tenant_id = k.tenant_id and intent_id = k.intent_id and outcome = 'Deferred'
                    union all
                    select {DecisionRow.Columns}, 1 from decisions
                    where tenant_id = k.tenant_id and intent_id = k.intent_id and outcome = 'Held'
                ) as d
                order by d.deferred_rank
                """, batch.Select(p => p.Record.TenantId).ToArray(), batch.Select(p => p.Record.IntentId).ToArray()));
            await lookup.PrepareAsync();
            await using var reader = await lookup.ExecuteReaderAsync();
            // Npgsql skips results without rows (begin): the reader starts on the locks' rows.
            if (_chained)
            {
                await reader.NextResultAsync(); // past the locks
                while (await reader.ReadAsync())
                {
                    heads[reader.GetString(0)] = reader.IsDBNull(1) ? ChainHash.Genesis.ToArray() : reader.GetFieldValue<byte[]>(1);
                }

                await reader.NextResultAsync();
            }

            while (await reader.ReadAsync())
            {
                var record = DecisionRow.Read(reader).ToRecord();
                var key = (record.TenantId, record.IntentId);
                if (!existing.TryGetValue(key, out var list))
                {
                    existing[key] = list = [];
                }

                list.Add(record);
            }
        }

        // Decide, in queue order, which rows are new and chain them; the rest are duplicates.
        var inserts = new List<(PendingAppend Pending, DecisionRow Row, byte[]? Prev, byte[]? Hash)>(batch.Count);
        var outcomes = new AppendResult[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var pending = batch[i];
            var record = pending.Record;
            var key = (record.TenantId, record.IntentId);
            existing.TryGetValue(key, out var prior);
            var duplicateOf = prior?.FirstOrDefault(p => pending.DuplicateIfAny || Kind(p.Outcome) == Kind(record.Outcome));
            if (duplicateOf is not null)
            {
                outcomes[i] = new AppendResult(false, duplicateOf);
                continue;
            }

            var row = DecisionRow.From(record);
            byte[]? prev = null, hash = null;
            if (_chained)
            {
                prev = heads[record.TenantId];
                hash = ChainHash.Compute(prev, row.Canonical());
                heads[record.TenantId] = hash;
            }

            inserts.Add((pending, row, prev, hash));
            outcomes[i] = new AppendResult(true, record, Claimed: pending.ClaimProvider is not null);
            if (prior is null)
            {
                existing[key] = prior = [];
            }

            prior.Insert(Kind(record.Outcome) == DecisionOutcome.Sent ? 0 : prior.Count, record); // final first
        }

        // Then the new rows and the commit, in one round trip. No ON CONFLICT: under the tenant lock a conflict
        // means a row was written around the writer, and failing the batch (the messages retry) beats a silent
        // gap in the chain.
        await using (var insert = new NpgsqlBatch(connection))
        {
            if (inserts.Count > 0)
            {
                insert.BatchCommands.Add(DecisionRow.InsertManyCommand([.. inserts.Select(i => (i.Row, i.Prev, i.Hash))], _chained ? ChainHash.Version : null));
            }

            var claims = inserts.Where(i => i.Pending.ClaimProvider is not null)
                .Select(i => (i.Pending.Record.DecisionId, i.Pending.Record.TenantId, i.Pending.Record.IntentId, i.Pending.Record.Channel, i.Pending.ClaimProvider!))
                .ToList();
            if (claims.Count > 0)
            {
                insert.BatchCommands.Add(Providers.DispatchLog.ClaimCommand(claims, _claimant));
            }

            foreach (var command in alongside)
            {
                insert.BatchCommands.Add(command);
            }

            insert.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
            await insert.PrepareAsync();
            await insert.ExecuteNonQueryAsync();
        }

        return (inserts.ConvertAll(i => i.Pending.Record), outcomes);
    }

    /// <summary>
    /// The three kinds of row an intent may have one of each: its final decision (returned as Sent), and the non-final
    /// Deferred and Held that may precede it (the partial unique indexes of 0001 and 0020).
    /// </summary>
    internal static DecisionOutcome Kind(DecisionOutcome outcome) =>
        outcome is DecisionOutcome.Deferred or DecisionOutcome.Held ? outcome : DecisionOutcome.Sent;

    private static NpgsqlBatchCommand Command(string sql, params string[][] arrays)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var array in arrays)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = array, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        }

        return command;
    }

    /// <summary>Drains the queue (rows already handed over are written) and stops the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var lane in _lanes)
        {
            await lane.DisposeAsync();
        }

        await _batches.DisposeAsync();
    }


    private sealed class PendingBatch(List<PendingAppend> rows, IReadOnlyList<NpgsqlBatchCommand> alongside)
    {
        public List<PendingAppend> Rows { get; } = rows;

        public IReadOnlyList<NpgsqlBatchCommand> Alongside { get; } = alongside;
    }

    private sealed class PendingAppend(DecisionRecord record, bool duplicateIfAny, string? claimProvider)
    {
        public DecisionRecord Record { get; } = record;

        public string? ClaimProvider { get; } = claimProvider;

        public bool DuplicateIfAny { get; } = duplicateIfAny;
    }
}

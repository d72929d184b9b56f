using CommsGateway.Core.Audit;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Audit;

/// <summary>Who saw what: one staff member's view or export of a patient's data, or a console sign-in.</summary>
/// <param name="PatientId">Null for entries about no patient (sign-ins, failed sign-ins).</param>
/// <param name="What">A stable name: patient.view, patient.export, decision.view, review.view, signin, signin.failed ...</param>
/// <param name="Detail">What exactly was shown (a decision id, a held id, the search that listed the patient).</param>
/// <param name="FromIp">The client's address as the gateway saw it (after trusted proxies).</param>
public sealed record AccessEntry(string TenantId, string StaffEmail, string StaffRole, string? PatientId, string What, string? Detail, string? FromIp);

/// <summary>One stored access-log row.</summary>
public sealed record AccessLogRow
{
    public long Seq { get; init; }
    public string TenantId { get; init; } = "";
    public string StaffEmail { get; init; } = "";
    public string StaffRole { get; init; } = "";
    public string? PatientId { get; init; }
    public string What { get; init; } = "";
    public string? Detail { get; init; }
    public DateTime At { get; init; }
    public string? FromIp { get; init; }
    public byte[] PrevHash { get; init; } = [];
    public byte[] RowHash { get; init; } = [];

    public DateTimeOffset AtUtc => new(DateTime.SpecifyKind(At, DateTimeKind.Utc));

    /// <summary>Every stored column except seq and the hashes, in a fixed order (ChainHash v1 encoding).</summary>
    internal CanonicalFields Canonical() => new CanonicalFields()
        .Text("tenant_id", TenantId).Text("staff_email", StaffEmail).Text("staff_role", StaffRole).Text("patient_id", PatientId)
        .Text("what", What).Text("detail", Detail).Timestamp("at", AtUtc).Text("from_ip", FromIp);
}

/// <summary>The result of re-computing a clinic's access-log chain.</summary>
public sealed record AccessLogReport(string TenantId, long RowsChecked, long? FirstBrokenSeq, string? Problem)
{
    public bool Intact => FirstBrokenSeq is null;
}

/// <summary>
/// The console's access log: append-only (a trigger refuses updates and deletes), hash-chained per clinic like the
/// decision log (ChainHash v1: each row's hash covers the previous row's hash and its own fields), so a removed,
/// inserted or altered row breaks the chain at that row; a per-clinic head (console_access_log_head, moved in the
/// append's transaction) shows removed newest rows. The one writer and reader of console_access_log and its head.
/// </summary>
public sealed class AccessLog(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string Columns = "seq, tenant_id, staff_email, staff_role, patient_id, what, detail, at, from_ip, prev_hash, row_hash";

    public async Task AppendAsync(AccessEntry entry, CancellationToken ct) => await AppendAsync([entry], ct);

    /// <summary>Appends entries of one clinic in one transaction, under the clinic's chain lock (commit order = chain order).</summary>
    public async Task AppendAsync(IReadOnlyList<AccessEntry> entries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var tenant in entries.Select(e => e.TenantId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@key, 0))",
                new { key = "access-log:" + tenant }, tx, cancellationToken: ct));
        }

        var heads = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        // Microsecond precision, as PostgreSQL stores it: the hash is computed over what is read back.
        var now = clock.GetUtcNow().UtcDateTime;
        now = now.AddTicks(-(now.Ticks % 10));
        foreach (var entry in entries)
        {
            if (!heads.TryGetValue(entry.TenantId, out var prev))
            {
                // From the head, not the newest row: after a removal of the newest rows the next entry does not hold.
                prev = await connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition(
                    "select row_hash from console_access_log_head where tenant_id = @TenantId",
                    new { entry.TenantId }, tx, cancellationToken: ct)) ?? ChainHash.Genesis.ToArray();
            }

            var row = new AccessLogRow
            {
                TenantId = entry.TenantId, StaffEmail = entry.StaffEmail, StaffRole = entry.StaffRole, PatientId = entry.PatientId,
                What = entry.What, Detail = entry.Detail, At = now, FromIp = entry.FromIp, PrevHash = prev,
            };
            var hash = ChainHash.Compute(prev, row.Canonical());
            await connection.ExecuteAsync(new CommandDefinition("""
                with appended as (
                    insert into console_access_log (tenant_id, staff_email, staff_role, patient_id, what, detail, at, from_ip, prev_hash, row_hash)
                    values (@TenantId, @StaffEmail, @StaffRole, @PatientId, @What, @Detail, @At, @FromIp, @PrevHash, @hash)
                    returning tenant_id, seq, row_hash)
                insert into console_access_log_head (tenant_id, seq, row_hash)
                select tenant_id, seq, row_hash from appended
                on conflict (tenant_id) do update set seq = excluded.seq, row_hash = excluded.row_hash
                """, new { row.TenantId, row.StaffEmail, row.StaffRole, row.PatientId, row.What, row.Detail, row.At, row.FromIp, row.PrevHash, hash },
                tx, cancellationToken: ct));
            heads[entry.TenantId] = hash;
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>"Who viewed patient X", "what did staff Y see": newest first.</summary>
    public async Task<IReadOnlyList<AccessLogRow>> QueryAsync(string tenantId, string? patientId, string? staffEmail, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<AccessLogRow>(new CommandDefinition($"""
            select {Columns} from console_access_log
            where tenant_id = @tenantId
              and (@patientId::text is null or patient_id = @patientId)
              and (@staffEmail::text is null or lower(staff_email) = lower(@staffEmail))
            order by seq desc
            limit @limit
            """, new { tenantId, patientId, staffEmail, limit = Math.Clamp(limit, 1, 10_000) }, cancellationToken: ct))];
    }

    /// <summary>Re-computes the clinic's chain in seq order, in one snapshot; names the first row that does not hold.</summary>
    public async Task<AccessLogReport> VerifyAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var rows = await connection.QueryAsync<AccessLogRow>(new CommandDefinition(
            $"select {Columns} from console_access_log where tenant_id = @tenantId order by seq", new { tenantId }, tx, cancellationToken: ct));
        var chain = ChainVerifier.FromGenesis();
        long checkedRows = 0;
        long lastSeq = 0;
        foreach (var row in rows)
        {
            checkedRows++;
            if (chain.Next(new StoredLink(row.PrevHash, row.RowHash, row.Canonical())) is { } fault)
            {
                return new AccessLogReport(tenantId, checkedRows, row.Seq, ChainVerifier.Describe(fault, "row"));
            }

            lastSeq = row.Seq;
        }

        // The end of the chain must be the head: entries removed from the end leave a chain that holds on its own.
        var head = await connection.QueryFirstOrDefaultAsync<(long Seq, byte[] RowHash)?>(new CommandDefinition(
            "select seq, row_hash from console_access_log_head where tenant_id = @tenantId", new { tenantId }, tx, cancellationToken: ct));
        if (head is { } h && (h.Seq != lastSeq || !chain.EndsAt(h.RowHash)))
        {
            return new AccessLogReport(tenantId, checkedRows, h.Seq,
                $"the chain ends at entry {lastSeq} but its head is entry {h.Seq} (the newest entries were removed)");
        }

        if (head is null && checkedRows > 0)
        {
            return new AccessLogReport(tenantId, checkedRows, lastSeq, "the clinic's chain head is missing (removed)");
        }

        return new AccessLogReport(tenantId, checkedRows, null, null);
    }
}

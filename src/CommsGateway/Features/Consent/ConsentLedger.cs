using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Audit;
using CommsGateway.Core.Consent;
using CommsGateway.Features.Admin;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Consent;

/// <summary>The outcome of recording consent: refused (errors), unknown patient, or the ledger event ids written.</summary>
public sealed record ConsentRecordResult(IReadOnlyList<ConsentError> Errors, IReadOnlyList<long> EventIds, bool PatientFound = true)
{
    public bool Ok => Errors.Count == 0 && PatientFound;
}

/// <summary>One ledger event with its evidence, as the history and the access-request export show it.</summary>
public sealed record ConsentEventView(
    long EventId,
    string Purpose,
    string? Channel,
    string? Placement,
    string Action,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt,
    string Source,
    string? WordingVersion,
    string? WordingSha256,
    string? CapturedBy,
    string? FormUrl,
    string? Ip,
    string? UserAgent,
    JsonElement Evidence,
    string RecordedBy);

/// <summary>The current state of one (purpose, channel[, placement]), with the event it derives from.</summary>
public sealed record ConsentCurrentView(
    string Purpose,
    string? Channel,
    string? Placement,
    bool Granted,
    bool Lapsed,
    long EventId,
    DateTimeOffset OccurredAt);

/// <summary>One ledger event to append: the facts it proves and its provenance (evidence as JSON).</summary>
internal sealed record ConsentEventRow(ConsentEventFacts Facts, string? FormUrl, string? Ip, string? UserAgent, string EvidenceJson = "{}");

/// <summary>One link of a tenant's consent chain as stored: a live event, or the tombstone of one retention removed.</summary>
internal sealed record ConsentChainLink(long? ChainSeq, long EventId, bool Tombstone, StoredLink Link);

/// <summary>
/// The consent ledger's SQL: append events, derive the current state (latest by occurred_at, ties by event_id),
/// show the history with its evidence. The same code path for the admin API, the CLI and the patient pages; every
/// event, whoever records it (<see cref="OptOuts"/> included), is appended by <see cref="AppendAsync"/>.
/// </summary>
public sealed class ConsentLedger(NpgsqlDataSource dataSource, TenantDirectory tenants, TimeProvider clock)
{
    public async Task<ConsentRecordResult> RecordAsync(ConsentCommand command, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(actor);
        var (events, errors) = ConsentRules.Validate(command, clock.GetUtcNow());
        if (errors.Count > 0)
        {
            return new ConsentRecordResult(errors, []);
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockPatientAsync(connection, tx, command.TenantId, command.PatientId, ct);
        if (!await PatientKnownAsync(connection, tx, command.TenantId, command.PatientId, ct))
        {
            return new ConsentRecordResult([], [], PatientFound: false);
        }

        var ids = new List<long>();
        foreach (var e in events)
        {
            ids.Add(await AppendAsync(connection, tx, new ConsentEventRow(
                new ConsentEventFacts(e.TenantId, e.PatientId,
                    ConsentNames.Name(e.Purpose),
                    e.Channel is { } c ? ConsentNames.Name(c) : null,
                    e.Placement is { } p ? ConsentNames.Name(p) : null,
                    ConsentNames.Name(e.Action),
                    e.OccurredAt,
                    e.Evidence.Source!, e.Evidence.WordingVersion, e.Evidence.WordingSha256, e.Evidence.CapturedBy, actor.ToString()),
                e.Evidence.FormUrl, e.Evidence.Ip, e.Evidence.UserAgent,
                JsonSerializer.Serialize(e.Evidence.Extra ?? new Dictionary<string, string>())), ct));
        }

        await AdminAudit.WriteAsync(connection, tx, command.TenantId, actor, "consent." + ConsentNames.Name(command.Action),
            command.PatientId, new { eventIds = ids }, ct);
        await tx.CommitAsync(ct);
        return new ConsentRecordResult([], ids);
    }

    /// <summary>
    /// Appends an event a patient made themselves (unsubscribe link, STOP/START reply, provider unsubscribe: see
    /// <see cref="OptOuts"/>), inside the caller's transaction. Takes the same per-patient lock as RecordAsync, so the
    /// ledger's order is the commit order. Returns the new event id.
    /// </summary>
    internal async Task<long> AppendPatientEventAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ConsentEventRow row, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(row);
        await LockPatientAsync(connection, tx, row.Facts.TenantId, row.Facts.PatientId, ct);
        return await AppendAsync(connection, tx, row, ct);
    }

    /// <summary>
    /// One writer per patient at a time: event_id (the tie-breaker) then follows commit order, so two concurrent
    /// changes with the same occurred_at resolve to whichever was recorded last. Erasure takes it too.
    /// </summary>
    internal static Task LockPatientAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string tenantId, string patientId, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@key, 0))",
            new { key = "consent:" + tenantId + "\u001f" + patientId }, tx, cancellationToken: ct));

    /// <summary>
    /// The ledger's one insert: every event of every source goes through here. It links the event into its tenant's
    /// hash chain (<see cref="ConsentChainEntry"/>, <see cref="ChainHash"/>): under the tenant's chain lock, the next
    /// position and the previous hash come from the head (consent_chain_head, which survives retention removing the
    /// newest events), the event id and recorded_at are taken before the insert so the hash covers them, and the head
    /// moves in the same transaction. Chain order is therefore commit order, with any number of gateways.
    /// </summary>
    private static async Task<long> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ConsentEventRow row, CancellationToken ct) =>
        (await AppendAsync(connection, tx, [row], ct))[0];

    /// <summary>The append path for events of one tenant, in order: one round trip for the head and the ids, one insert.</summary>
    private static async Task<IReadOnlyList<long>> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<ConsentEventRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var tenantId = rows[0].Facts.TenantId;
        if (rows.Any(r => r.Facts.TenantId != tenantId))
        {
            throw new ArgumentException("one tenant's chain at a time", nameof(rows));
        }

        // Microsecond precision, as PostgreSQL stores it: the hash covers what the verifier reads back.
        var facts = rows.Select(r => r.Facts with { OccurredAt = r.Facts.OccurredAt.AddTicks(-(r.Facts.OccurredAt.UtcTicks % 10)) }).ToList();
        long chainSeq;
        byte[] prevHash;
        List<long> eventIds;
        DateTime recordedAt;
        await using (var next = await connection.QueryMultipleAsync(new CommandDefinition("""
            select pg_advisory_xact_lock(hashtextextended('consent-chain:' || @tenantId, 0));
            select chain_seq, row_hash from consent_chain_head where tenant_id = @tenantId;
            select now();
            select nextval(pg_get_serial_sequence('consent_events', 'event_id')) from generate_series(1, @count);
            """, new { tenantId, count = rows.Count }, tx, cancellationToken: ct)))
        {
            await next.ReadAsync();
            var head = await next.ReadSingleOrDefaultAsync<(long ChainSeq, byte[] RowHash)?>();
            recordedAt = await next.ReadSingleAsync<DateTime>();
            eventIds = [.. (await next.ReadAsync<long>()).Order()];
            chainSeq = head?.ChainSeq ?? 0;
            prevHash = head?.RowHash ?? ChainHash.Genesis.ToArray();
        }

        var seqs = new long[rows.Count];
        var prevHashes = new byte[rows.Count][];
        var rowHashes = new byte[rows.Count][];
        for (var i = 0; i < rows.Count; i++)
        {
            seqs[i] = ++chainSeq;
            prevHashes[i] = prevHash;
            prevHash = rowHashes[i] = ChainHash.Compute(prevHash, new ConsentChainEntry(chainSeq, eventIds[i], Utc(recordedAt), facts[i]).Canonical());
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            insert into consent_events (event_id, tenant_id, patient_id, purpose, channel, placement, action, occurred_at, recorded_at,
                source, wording_version, wording_sha256, captured_by, form_url, ip, user_agent, evidence, recorded_by, chain_seq, prev_hash, row_hash)
            overriding system value
            select e.event_id, @tenantId, e.patient_id, e.purpose, e.channel, e.placement, e.action, e.occurred_at, @recordedAt,
                e.source, e.wording_version, e.wording_sha256, e.captured_by, e.form_url, e.ip, e.user_agent, e.evidence::jsonb, e.recorded_by,
                e.chain_seq, e.prev_hash, e.row_hash
            from unnest(@eventIds, @patientIds, @purposes, @channels, @placements, @actions, @occurredAts, @sources, @wordingVersions,
                @wordingSha256s, @capturedBys, @formUrls, @ips, @userAgents, @evidence, @recordedBys, @seqs, @prevHashes, @rowHashes)
                as e(event_id, patient_id, purpose, channel, placement, action, occurred_at, source, wording_version, wording_sha256,
                     captured_by, form_url, ip, user_agent, evidence, recorded_by, chain_seq, prev_hash, row_hash);
            insert into consent_chain_head (tenant_id, chain_seq, row_hash) values (@tenantId, @chainSeq, @prevHash)
            on conflict (tenant_id) do update set chain_seq = excluded.chain_seq, row_hash = excluded.row_hash;
            """, new
        {
            tenantId, recordedAt, chainSeq, prevHash, seqs, prevHashes, rowHashes,
            eventIds = eventIds.ToArray(),
            patientIds = facts.Select(f => f.PatientId).ToArray(),
            purposes = facts.Select(f => f.Purpose).ToArray(),
            channels = facts.Select(f => f.Channel).ToArray(),
            placements = facts.Select(f => f.Placement).ToArray(),
            actions = facts.Select(f => f.Action).ToArray(),
            occurredAts = facts.Select(f => f.OccurredAt.UtcDateTime).ToArray(),
            sources = facts.Select(f => f.Source).ToArray(),
            wordingVersions = facts.Select(f => f.WordingVersion).ToArray(),
            wordingSha256s = facts.Select(f => f.WordingSha256).ToArray(),
            capturedBys = facts.Select(f => f.CapturedBy).ToArray(),
            formUrls = rows.Select(r => r.FormUrl).ToArray(),
            ips = rows.Select(r => r.Ip).ToArray(),
            userAgents = rows.Select(r => r.UserAgent).ToArray(),
            evidence = rows.Select(r => r.EvidenceJson).ToArray(),
            recordedBys = facts.Select(f => f.RecordedBy).ToArray(),
        }, tx, cancellationToken: ct));
        return eventIds;
    }

    /// <summary>
    /// Appends events the caller vouches for, unvalidated and without the per-patient lock: seeds (the bench's clinics,
    /// the tests' patients). Through the same chained append path as every other event, a transaction per 1,000 events
    /// of a tenant, so <see cref="Audit.ConsentChainVerifier"/> verifies them like any other.
    /// </summary>
    internal static async Task ImportAsync(NpgsqlDataSource dataSource, IEnumerable<ConsentEventRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        foreach (var tenant in rows.GroupBy(r => r.Facts.TenantId))
        {
            foreach (var chunk in tenant.Chunk(1_000))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                await AppendAsync(connection, tx, chunk, ct);
                await tx.CommitAsync(ct);
            }
        }
    }

    /// <summary>
    /// A tenant's chain as stored, for the verifier: the events without a position (older than the chain, or written
    /// around the append path) first by id, then the chain in order, the tombstones retention left in their place.
    /// </summary>
    internal static async Task<IReadOnlyList<ConsentChainLink>> ChainAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string tenantId, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<EventRow, ConsentEvidence, EventRow>(new CommandDefinition("""
            select chain_seq, event_id, prev_hash, row_hash, false as tombstone, tenant_id, patient_id, purpose, channel, placement,
                   action, occurred_at, recorded_at, recorded_by, source, wording_version, wording_sha256, captured_by
            from consent_events where tenant_id = @tenantId
            union all
            select chain_seq, event_id, prev_hash, row_hash, true, tenant_id, '', '', null, null, '', now(), now(), '', '', null, null, null
            from consent_chain_tombstones where tenant_id = @tenantId
            order by chain_seq nulls first, event_id
            """, new { tenantId }, tx, cancellationToken: ct), EventRow.WithProof, splitOn: "source");
        return [.. rows.Select(r => new ConsentChainLink(r.ChainSeq, r.EventId, r.Tombstone, new StoredLink(r.PrevHash, r.RowHash,
            r.Tombstone ? null : new ConsentChainEntry(r.ChainSeq ?? 0, r.EventId, Utc(r.RecordedAt), r.Facts()).Canonical())))];
    }

    /// <summary>Current state per (purpose, channel[, placement]); marketing grants past the clinic's lapse period show Lapsed.</summary>
    public async Task<IReadOnlyList<ConsentCurrentView>?> CurrentAsync(string tenantId, string patientId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (!await PatientKnownAsync(connection, null, tenantId, patientId, ct))
        {
            return null;
        }

        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition("""
            select event_id, purpose, channel, placement, action, occurred_at
            from consent_current where tenant_id = @tenantId and patient_id = @patientId
            order by purpose, channel, placement
            """, new { tenantId, patientId }, cancellationToken: ct));
        var lastInteraction = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "select last_interaction_at from contacts where tenant_id = @tenantId and patient_id = @patientId",
            new { tenantId, patientId }, cancellationToken: ct));
        var months = (await tenants.FindAsync(tenantId, ct))?.Settings.ConsentLapseMonths ?? 36;
        var now = clock.GetUtcNow();
        return rows.Select(r =>
        {
            var state = r.ToState();
            var lapsed = state.Purpose == ConsentPurpose.Marketing
                && ConsentLapse.IsLapsed(state, lastInteraction is { } l ? Utc(l) : null, months, now);
            return new ConsentCurrentView(r.Purpose, r.Channel, r.Placement, state.Granted, lapsed, r.EventId, state.OccurredAt);
        }).ToList();
    }

    public async Task<IReadOnlyList<ConsentEventView>?> HistoryAsync(string tenantId, string patientId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (!await PatientKnownAsync(connection, null, tenantId, patientId, ct))
        {
            return null;
        }

        return await HistoryAsync(connection, tenantId, patientId, ct);
    }

    internal static async Task<IReadOnlyList<ConsentEventView>> HistoryAsync(NpgsqlConnection connection, string tenantId, string patientId, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<EventRow, ConsentEvidence, EventRow>(new CommandDefinition("""
            select event_id, purpose, channel, placement, action, occurred_at, recorded_at, evidence::text as extra, recorded_by,
                   source, wording_version, wording_sha256, captured_by, form_url, ip, user_agent
            from consent_events where tenant_id = @tenantId and patient_id = @patientId
            order by occurred_at, event_id
            """, new { tenantId, patientId }, cancellationToken: ct), EventRow.WithProof, splitOn: "source");
        return rows.Select(r => r.ToView()).ToList();
    }

    /// <summary>A patient exists for a tenant when the directory holds them or the ledger has events about them.</summary>
    internal static Task<bool> PatientKnownAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string tenantId, string patientId, CancellationToken ct) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            select exists (select 1 from contacts where tenant_id = @tenantId and patient_id = @patientId)
                or exists (select 1 from consent_events where tenant_id = @tenantId and patient_id = @patientId)
            """, new { tenantId, patientId }, tx, cancellationToken: ct));

    internal static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    internal static ConsentState StateOf(long eventId, string purpose, string? channel, string? placement, string action, DateTime occurredAt) => new(
        eventId,
        ConsentNames.ParsePurpose(purpose) ?? throw new InvalidOperationException($"Unknown purpose {purpose} in the ledger"),
        ConsentNames.ParseChannel(channel) ?? Channel.Unknown,
        ConsentNames.ParsePlacement(placement),
        action == "grant",
        Utc(occurredAt));

    /// <summary>
    /// A consent_events row as read for the current state (the columns of consent_current), the history (with its
    /// evidence) or the chain (with its hashes): what a query does not select keeps its default. The evidence columns
    /// (source to user_agent, selected last) are read into the domain's <see cref="ConsentEvidence"/>.
    /// </summary>
    private sealed record EventRow
    {
        public long? ChainSeq { get; init; }
        public byte[]? PrevHash { get; init; }
        public byte[]? RowHash { get; init; }
        public bool Tombstone { get; init; }
        public string TenantId { get; init; } = "";
        public string PatientId { get; init; } = "";
        public long EventId { get; init; }
        public string Purpose { get; init; } = "";
        public string? Channel { get; init; }
        public string? Placement { get; init; }
        public string Action { get; init; } = "";
        public DateTime OccurredAt { get; init; }
        public DateTime RecordedAt { get; init; }
        public string RecordedBy { get; init; } = "";

        /// <summary>The evidence column (extra provenance), as JSON text.</summary>
        public string Extra { get; init; } = "{}";

        public ConsentEvidence Proof { get; init; } = new();

        public static EventRow WithProof(EventRow row, ConsentEvidence? proof) => row with { Proof = proof ?? new() };

        public ConsentState ToState() => StateOf(EventId, Purpose, Channel, Placement, Action, OccurredAt);

        public ConsentEventFacts Facts() => new(TenantId, PatientId, Purpose, Channel, Placement, Action, Utc(OccurredAt), Proof.Source ?? "",
            Proof.WordingVersion, Proof.WordingSha256, Proof.CapturedBy, RecordedBy);

        public ConsentEventView ToView()
        {
            using var document = JsonDocument.Parse(Extra);
            return new ConsentEventView(EventId, Purpose, Channel, Placement, Action, Utc(OccurredAt), Utc(RecordedAt), Proof.Source ?? "",
                Proof.WordingVersion, Proof.WordingSha256, Proof.CapturedBy, Proof.FormUrl, Proof.Ip, Proof.UserAgent,
                document.RootElement.Clone(), RecordedBy);
        }
    }
}

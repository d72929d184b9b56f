using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Audit;
using Npgsql;
using NpgsqlTypes;

namespace CommsGateway.Features.Intents;

/// <summary>
/// A decision's columns as every reader sees them: enums as their stored text, lists as text[]. The writer's
/// <see cref="DecisionRow"/> adds the content hash as bytes and the chain; the audit's read
/// (<see cref="Audit.DecisionEntry"/>) adds the content hash as hex and the provider call.
/// </summary>
public abstract record DecisionFields
{
    /// <summary>These columns of <c>decisions</c>, in the order <see cref="DecisionRow.Read"/> reads them.</summary>
    public const string Columns = """
        seq, decision_id, tenant_id, intent_id, patient_id, producer, channel, category, campaign_id,
        declared_purpose, detected_purpose, outcome, reasons, details, consent_event_id, policy_version, deferred_until, decided_at
        """;

    public long Seq { get; init; }
    public Guid DecisionId { get; init; }
    public string TenantId { get; init; } = "";
    public string IntentId { get; init; } = "";
    public string? PatientId { get; init; }
    public string? Producer { get; init; }
    public string Channel { get; init; } = "";
    public string? Category { get; init; }
    public string? CampaignId { get; init; }
    public string DeclaredPurpose { get; init; } = "";
    public string DetectedPurpose { get; init; } = "";
    public string Outcome { get; init; } = "";
    public string[] Reasons { get; init; } = [];
    public string[] Details { get; init; } = [];
    public long? ConsentEventId { get; init; }
    public string PolicyVersion { get; init; } = "";
    public DateTime? DeferredUntil { get; init; }
    public DateTime DecidedAt { get; init; }
}

/// <summary>A decision as stored. The hash chain covers exactly these values.</summary>
internal sealed record DecisionRow : DecisionFields
{
    /// <summary>Every stored column, in <see cref="Read"/>'s order.</summary>
    public new const string Columns = DecisionFields.Columns + ", content_sha256, prev_hash, row_hash, chain_version";

    public byte[]? ContentSha256 { get; init; }
    public byte[]? PrevHash { get; init; }
    public byte[]? RowHash { get; init; }
    public short? ChainVersion { get; init; }

    /// <summary>
    /// The decision log's fields for <see cref="ChainHash"/> (version 1), in this fixed order. seq is left out
    /// (the database assigns it after the hash is computed); the chain itself fixes each row's position.
    /// </summary>
    public CanonicalFields Canonical() => new CanonicalFields()
        .Uuid("decision_id", DecisionId)
        .Text("tenant_id", TenantId)
        .Text("intent_id", IntentId)
        .Text("patient_id", PatientId)
        .Text("producer", Producer)
        .Text("channel", Channel)
        .Text("category", Category)
        .Text("campaign_id", CampaignId)
        .Text("declared_purpose", DeclaredPurpose)
        .Text("detected_purpose", DetectedPurpose)
        .Text("outcome", Outcome)
        .TextArray("reasons", Reasons)
        .TextArray("details", Details)
        .Bytes("content_sha256", ContentSha256)
        .Int64("consent_event_id", ConsentEventId)
        .Text("policy_version", PolicyVersion)
        .Timestamp("deferred_until", DeferredUntil is { } d ? new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)) : null)
        .Timestamp("decided_at", new DateTimeOffset(DateTime.SpecifyKind(DecidedAt, DateTimeKind.Utc)));

    public static DecisionRow From(DecisionRecord r) => new()
    {
        DecisionId = r.DecisionId,
        TenantId = r.TenantId,
        IntentId = r.IntentId,
        PatientId = r.PatientId,
        Producer = r.Producer,
        Channel = WireNames.Of(r.Channel),
        Category = r.Category,
        CampaignId = r.CampaignId,
        DeclaredPurpose = WireNames.Of(r.DeclaredPurpose),
        DetectedPurpose = WireNames.Of(r.DetectedPurpose),
        Outcome = r.Outcome.ToString(),
        Reasons = [.. r.Reasons],
        Details = [.. r.Details],
        ContentSha256 = r.ContentSha256,
        ConsentEventId = r.ConsentEventId,
        PolicyVersion = r.PolicyVersion,
        DeferredUntil = r.DeferredUntil?.UtcDateTime,
        DecidedAt = r.DecidedAt.UtcDateTime,
    };

    public DecisionRecord ToRecord() => new(
        DecisionId, TenantId, IntentId, PatientId, Producer,
        Enum.Parse<Channel>(Channel, ignoreCase: true), Category, CampaignId,
        Enum.Parse<Purpose>(DeclaredPurpose, ignoreCase: true),
        Enum.Parse<Purpose>(DetectedPurpose, ignoreCase: true),
        Enum.Parse<DecisionOutcome>(Outcome), Reasons, Details, ContentSha256, ConsentEventId, PolicyVersion,
        DeferredUntil is { } d ? new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)) : null,
        new DateTimeOffset(DateTime.SpecifyKind(DecidedAt, DateTimeKind.Utc)));

    public static DecisionRow Read(NpgsqlDataReader reader) => new()
    {
        Seq = reader.GetInt64(0),
        DecisionId = reader.GetGuid(1),
        TenantId = reader.GetString(2),
        IntentId = reader.GetString(3),
        PatientId = NullableString(reader, 4),
        Producer = NullableString(reader, 5),
        Channel = reader.GetString(6),
        Category = NullableString(reader, 7),
        CampaignId = NullableString(reader, 8),
        DeclaredPurpose = reader.GetString(9),
        DetectedPurpose = reader.GetString(10),
        Outcome = reader.GetString(11),
        Reasons = reader.GetFieldValue<string[]>(12),
        Details = reader.GetFieldValue<string[]>(13),
        ConsentEventId = reader.IsDBNull(14) ? null : reader.GetInt64(14),
        PolicyVersion = reader.GetString(15),
        DeferredUntil = reader.IsDBNull(16) ? null : reader.GetFieldValue<DateTime>(16),
        DecidedAt = reader.GetFieldValue<DateTime>(17),
        ContentSha256 = reader.IsDBNull(18) ? null : reader.GetFieldValue<byte[]>(18),
        PrevHash = reader.IsDBNull(19) ? null : reader.GetFieldValue<byte[]>(19),
        RowHash = reader.IsDBNull(20) ? null : reader.GetFieldValue<byte[]>(20),
        ChainVersion = reader.IsDBNull(21) ? null : reader.GetInt16(21),
    };

    /// <summary>
    /// One INSERT for a batch's new rows, in the given order (the order of their chain: <c>seq</c> follows it), each with
    /// its chain hashes: one statement to parse and run, and the chain-head trigger fires once for all of them. The
    /// list columns travel as JSON arrays (an array of arrays would unnest into its elements).
    /// </summary>
    public static NpgsqlBatchCommand InsertManyCommand(IReadOnlyList<(DecisionRow Row, byte[]? PrevHash, byte[]? RowHash)> rows, short? chainVersion)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var command = new NpgsqlBatchCommand("""
            insert into decisions (decision_id, tenant_id, intent_id, patient_id, producer, channel, category,
                campaign_id, declared_purpose, detected_purpose, outcome, reasons, details, content_sha256,
                consent_event_id, policy_version, deferred_until, decided_at, prev_hash, row_hash, chain_version)
            select r.decision_id, r.tenant_id, r.intent_id, r.patient_id, r.producer, r.channel, r.category,
                   r.campaign_id, r.declared_purpose, r.detected_purpose, r.outcome,
                   array(select jsonb_array_elements_text(r.reasons)), array(select jsonb_array_elements_text(r.details)),
                   r.content_sha256, r.consent_event_id, r.policy_version, r.deferred_until, r.decided_at, r.prev_hash, r.row_hash, $21
            from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                        $10::text[], $11::text[], $12::jsonb[], $13::jsonb[], $14::bytea[], $15::bigint[], $16::text[],
                        $17::timestamptz[], $18::timestamptz[], $19::bytea[], $20::bytea[])
                 with ordinality as r(decision_id, tenant_id, intent_id, patient_id, producer, channel, category, campaign_id,
                        declared_purpose, detected_purpose, outcome, reasons, details, content_sha256, consent_event_id,
                        policy_version, deferred_until, decided_at, prev_hash, row_hash, ord)
            order by r.ord
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. rows.Select(r => r.Row.DecisionId)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        p.Add(Texts(rows, r => r.TenantId));
        p.Add(Texts(rows, r => r.IntentId));
        p.Add(Texts(rows, r => r.PatientId));
        p.Add(Texts(rows, r => r.Producer));
        p.Add(Texts(rows, r => r.Channel));
        p.Add(Texts(rows, r => r.Category));
        p.Add(Texts(rows, r => r.CampaignId));
        p.Add(Texts(rows, r => r.DeclaredPurpose));
        p.Add(Texts(rows, r => r.DetectedPurpose));
        p.Add(Texts(rows, r => r.Outcome));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => JsonSerializer.Serialize(r.Row.Reasons))], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => JsonSerializer.Serialize(r.Row.Details))], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        p.Add(new NpgsqlParameter<byte[]?[]> { TypedValue = [.. rows.Select(r => r.Row.ContentSha256)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter<long?[]> { TypedValue = [.. rows.Select(r => r.Row.ConsentEventId)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        p.Add(Texts(rows, r => r.PolicyVersion));
        p.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = [.. rows.Select(r => r.Row.DeferredUntil)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. rows.Select(r => r.Row.DecidedAt)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<byte[]?[]> { TypedValue = [.. rows.Select(r => r.PrevHash)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter<byte[]?[]> { TypedValue = [.. rows.Select(r => r.RowHash)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter { Value = (object?)chainVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Smallint });
        return command;
    }

    private static NpgsqlParameter<string?[]> Texts(IReadOnlyList<(DecisionRow Row, byte[]?, byte[]?)> rows, Func<DecisionRow, string?> column) =>
        new() { TypedValue = [.. rows.Select(r => column(r.Row))], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

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

    public NpgsqlBatchCommand InsertCommand(byte[]? prevHash, byte[]? rowHash, short? chainVersion)
    {
        var command = new NpgsqlBatchCommand("""
            insert into decisions (decision_id, tenant_id, intent_id, patient_id, producer, channel, category,
                campaign_id, declared_purpose, detected_purpose, outcome, reasons, details, content_sha256,
                consent_event_id, policy_version, deferred_until, decided_at, prev_hash, row_hash, chain_version)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid> { TypedValue = DecisionId });
        p.Add(Text(TenantId));
        p.Add(Text(IntentId));
        p.Add(Text(PatientId));
        p.Add(Text(Producer));
        p.Add(Text(Channel));
        p.Add(Text(Category));
        p.Add(Text(CampaignId));
        p.Add(Text(DeclaredPurpose));
        p.Add(Text(DetectedPurpose));
        p.Add(Text(Outcome));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = Reasons, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = Details, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter { Value = (object?)ContentSha256 ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter { Value = (object?)ConsentEventId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        p.Add(Text(PolicyVersion));
        p.Add(new NpgsqlParameter { Value = (object?)DeferredUntil ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTime> { TypedValue = DecidedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter { Value = (object?)prevHash ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter { Value = (object?)rowHash ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
        p.Add(new NpgsqlParameter { Value = (object?)chainVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Smallint });
        return command;
    }

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

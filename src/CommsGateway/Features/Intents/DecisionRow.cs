using CommsGateway.Contracts;
using CommsGateway.Core.Audit;
using Npgsql;
using NpgsqlTypes;

namespace CommsGateway.Features.Intents;

/// <summary>A decision as stored: enums as their text, lists as text[]. The hash chain covers exactly these values.</summary>
internal sealed record DecisionRow
{
    /// <summary>The stored columns, in <see cref="Read"/>'s order.</summary>
    public const string Columns = """
        seq, decision_id, tenant_id, intent_id, patient_id, producer, channel, category, campaign_id,
        declared_purpose, detected_purpose, outcome, reasons, details, content_sha256,
        consent_event_id, policy_version, deferred_until, decided_at, prev_hash, row_hash, chain_version
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
    public byte[]? ContentSha256 { get; init; }
    public long? ConsentEventId { get; init; }
    public string PolicyVersion { get; init; } = "";
    public DateTime? DeferredUntil { get; init; }
    public DateTime DecidedAt { get; init; }
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
        Channel = DecisionLog.WireName(r.Channel),
        Category = r.Category,
        CampaignId = r.CampaignId,
        DeclaredPurpose = DecisionLog.WireName(r.DeclaredPurpose),
        DetectedPurpose = DecisionLog.WireName(r.DetectedPurpose),
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
        ContentSha256 = reader.IsDBNull(14) ? null : reader.GetFieldValue<byte[]>(14),
        ConsentEventId = reader.IsDBNull(15) ? null : reader.GetInt64(15),
        PolicyVersion = reader.GetString(16),
        DeferredUntil = reader.IsDBNull(17) ? null : reader.GetFieldValue<DateTime>(17),
        DecidedAt = reader.GetFieldValue<DateTime>(18),
        PrevHash = reader.IsDBNull(19) ? null : reader.GetFieldValue<byte[]>(19),
        RowHash = reader.IsDBNull(20) ? null : reader.GetFieldValue<byte[]>(20),
        ChainVersion = reader.IsDBNull(21) ? null : reader.GetInt16(21),
    };

    public const string CopyCommand = """
        copy decisions (decision_id, tenant_id, intent_id, patient_id, producer, channel, category,
            campaign_id, declared_purpose, detected_purpose, outcome, reasons, details, content_sha256,
            consent_event_id, policy_version, deferred_until, decided_at, prev_hash, row_hash, chain_version)
        from stdin (format binary)
        """;

    /// <summary>One row of <see cref="CopyCommand"/>, columns in its order.</summary>
    public async Task WriteCopyAsync(NpgsqlBinaryImporter copy, byte[]? prevHash, byte[]? rowHash, short? chainVersion)
    {
        await copy.StartRowAsync();
        await copy.WriteAsync(DecisionId, NpgsqlDbType.Uuid);
        await copy.WriteAsync(TenantId, NpgsqlDbType.Text);
        await copy.WriteAsync(IntentId, NpgsqlDbType.Text);
        await WriteTextAsync(copy, PatientId);
        await WriteTextAsync(copy, Producer);
        await copy.WriteAsync(Channel, NpgsqlDbType.Text);
        await WriteTextAsync(copy, Category);
        await WriteTextAsync(copy, CampaignId);
        await copy.WriteAsync(DeclaredPurpose, NpgsqlDbType.Text);
        await copy.WriteAsync(DetectedPurpose, NpgsqlDbType.Text);
        await copy.WriteAsync(Outcome, NpgsqlDbType.Text);
        await copy.WriteAsync(Reasons, NpgsqlDbType.Array | NpgsqlDbType.Text);
        await copy.WriteAsync(Details, NpgsqlDbType.Array | NpgsqlDbType.Text);
        await WriteOrNullAsync(copy, ContentSha256, NpgsqlDbType.Bytea);
        await WriteOrNullAsync(copy, ConsentEventId, NpgsqlDbType.Bigint);
        await copy.WriteAsync(PolicyVersion, NpgsqlDbType.Text);
        await WriteOrNullAsync(copy, DeferredUntil, NpgsqlDbType.TimestampTz);
        await copy.WriteAsync(DecidedAt, NpgsqlDbType.TimestampTz);
        await WriteOrNullAsync(copy, prevHash, NpgsqlDbType.Bytea);
        await WriteOrNullAsync(copy, rowHash, NpgsqlDbType.Bytea);
        await WriteOrNullAsync(copy, chainVersion, NpgsqlDbType.Smallint);
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter copy, string? value) => WriteOrNullAsync(copy, value, NpgsqlDbType.Text);

    private static async Task WriteOrNullAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type)
    {
        if (value is null)
        {
            await copy.WriteNullAsync();
        }
        else
        {
            await copy.WriteAsync(value, type);
        }
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

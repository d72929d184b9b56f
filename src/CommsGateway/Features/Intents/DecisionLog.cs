using CommsGateway.Contracts;
using Dapper;
using Npgsql;

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
    DateTimeOffset DecidedAt);

/// <summary>The decision log's SQL. Insert-only; dedupe rides on the unique index per intent.</summary>
public sealed class DecisionLog(NpgsqlDataSource dataSource)
{
    /// <summary>Raised once a new decision row is committed (bench, metrics). Handlers must be quick and not throw.</summary>
    public event Action<DecisionRecord>? Committed;

    /// <summary>An existing decision for the intent (final first), or null.</summary>
    public async Task<DecisionRecord?> FindAsync(string tenantId, string intentId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<DecisionRow>(new CommandDefinition("""
            select decision_id, tenant_id, intent_id, patient_id, producer, channel, category, campaign_id,
                   declared_purpose, detected_purpose, outcome, reasons, details, content_sha256,
                   consent_event_id, policy_version, deferred_until, decided_at
            from decisions
            where tenant_id = @tenantId and intent_id = @intentId
            order by (outcome = 'Deferred'), seq
            limit 1
            """, new { tenantId, intentId }, cancellationToken: ct));
        return row?.ToRecord();
    }

    /// <summary>Appends the decision; false when another delivery of the same intent got there first.</summary>
    public async Task<bool> TryAppendAsync(DecisionRecord record, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var conflictTarget = record.Outcome == DecisionOutcome.Deferred
            ? "where outcome = 'Deferred'"
            : "where outcome <> 'Deferred'";
        var inserted = await connection.ExecuteAsync(new CommandDefinition($"""
            insert into decisions (decision_id, tenant_id, intent_id, patient_id, producer, channel, category,
                campaign_id, declared_purpose, detected_purpose, outcome, reasons, details, content_sha256,
                consent_event_id, policy_version, deferred_until, decided_at)
            values (@DecisionId, @TenantId, @IntentId, @PatientId, @Producer, @Channel, @Category,
                @CampaignId, @DeclaredPurpose, @DetectedPurpose, @Outcome, @Reasons, @Details, @ContentSha256,
                @ConsentEventId, @PolicyVersion, @DeferredUntil, @DecidedAt)
            on conflict (tenant_id, intent_id) {conflictTarget} do nothing
            """, DecisionRow.From(record), cancellationToken: ct));
        if (inserted == 1)
        {
            Committed?.Invoke(record);
        }

        return inserted == 1;
    }

    /// <summary>Records the provider call's result for a decision to send (operational state, not the audit log).</summary>
    public async Task RecordDispatchAsync(Guid decisionId, string tenantId, string intentId, Channel channel,
        string status, string? providerMessageId, string? errorCode, string? errorDetail, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into dispatches (decision_id, tenant_id, intent_id, channel, status, provider_message_id, error_code, error_detail, attempts)
            values (@decisionId, @tenantId, @intentId, @channel, @status, @providerMessageId, @errorCode, @errorDetail, 1)
            on conflict (decision_id) do update
               set status = excluded.status, provider_message_id = excluded.provider_message_id,
                   error_code = excluded.error_code, error_detail = excluded.error_detail,
                   attempts = dispatches.attempts + 1, updated_at = now()
            """, new { decisionId, tenantId, intentId, channel = WireName(channel), status, providerMessageId, errorCode, errorDetail },
            cancellationToken: ct));
    }

    /// <summary>Flat row shape for Dapper: enums as text, lists as text[].</summary>
    private sealed record DecisionRow
    {
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

        public static DecisionRow From(DecisionRecord r) => new()
        {
            DecisionId = r.DecisionId,
            TenantId = r.TenantId,
            IntentId = r.IntentId,
            PatientId = r.PatientId,
            Producer = r.Producer,
            Channel = WireName(r.Channel),
            Category = r.Category,
            CampaignId = r.CampaignId,
            DeclaredPurpose = WireName(r.DeclaredPurpose),
            DetectedPurpose = WireName(r.DetectedPurpose),
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
    }

#pragma warning disable CA1308 // stored lower-case, like the wire form
    internal static string WireName<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();
#pragma warning restore CA1308
}

using System.Text.Json.Serialization;
using CommsGateway.Contracts;
using CommsGateway.Features.Intents;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Audit;

/// <summary>Filters of a DPO query over the decision log. The tenant is mandatory: no cross-clinic query exists.</summary>
public sealed record DecisionFilter
{
    public required string TenantId { get; init; }
    public string? PatientId { get; init; }
    public string? IntentId { get; init; }
    public string? CampaignId { get; init; }
    public Channel? Channel { get; init; }
    public DecisionOutcome? Outcome { get; init; }
    public string? Reason { get; init; }

    /// <summary>
    /// The provider call's state (one of <see cref="DispatchStatuses"/>). A provider failure leaves the append-only
    /// decision row <c>Sent</c>; the failure lives on the dispatch, so "what failed at the provider" is <c>failed</c> here.
    /// </summary>
    public string? Dispatch { get; init; }

    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }

    /// <summary>Keyset: only rows with a larger seq (stable under concurrent appends, unlike offsets).</summary>
    public long After { get; init; }

    /// <summary>1-based page on top of the keyset, for people paging in a terminal.</summary>
    public int Page { get; init; } = 1;

    public int PageSize { get; init; } = 50;

    public const int MaxPageSize = 1000;

    /// <summary>dispatches.status: claimed and calling, accepted, refused or unreachable, interrupted and unverifiable.</summary>
    public static readonly IReadOnlyList<string> DispatchStatuses = ["dispatching", "sent", "failed", "unknown"];
}

/// <summary>One decision as a DPO reads it, with the provider call's state when there was one.</summary>
public sealed record DecisionEntry : DecisionFields
{
    // After the decision's own fields, as a person reads them (System.Text.Json would write a derived record's first).
    [JsonPropertyOrder(1)]
    public string? ContentSha256 { get; init; }

    [JsonPropertyOrder(1)]
    public string? DispatchStatus { get; init; }

    /// <summary>Our stable reason for a failed dispatch (InvalidRecipient, RecipientOptedOut, ProviderUnavailable ...).</summary>
    [JsonPropertyOrder(1)]
    public string? DispatchErrorCode { get; init; }

    /// <summary>The provider's own code (Twilio 21211, 21610 ...; SendGrid's HTTP status).</summary>
    [JsonPropertyOrder(1)]
    public string? ProviderErrorCode { get; init; }

    [JsonPropertyOrder(1)]
    public string? Provider { get; init; }

    [JsonPropertyOrder(1)]
    public string? ProviderMessageId { get; init; }
}

/// <param name="Items">In seq order.</param>
/// <param name="NextAfter">Pass as After for the next page; null when this page was the last.</param>
public sealed record DecisionPage(IReadOnlyList<DecisionEntry> Items, long? NextAfter);

/// <summary>The decision log, read side (the write side is DecisionLog; nothing here can change a row).</summary>
public sealed class DecisionQuery(NpgsqlDataSource dataSource)
{
    /// <summary>Each decision (the content hash in hex) with its provider call; filter and order on <c>d</c> and <c>p</c>.</summary>
    private const string Select = $"""
        select d.*, p.status as dispatch_status, p.error_code as dispatch_error_code, p.provider_error_code, p.provider, p.provider_message_id
        from (select {DecisionFields.Columns}, encode(content_sha256, 'hex') as content_sha256 from decisions) d
        left join dispatches p on p.decision_id = d.decision_id
        """;

    public async Task<DecisionPage> SearchAsync(DecisionFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var size = Math.Clamp(filter.PageSize, 1, DecisionFilter.MaxPageSize);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // One extra row tells whether a next page exists without a count(*) over the tenant's log.
        var rows = (await connection.QueryAsync<DecisionEntry>(new CommandDefinition($"""
            {Select}
            where d.tenant_id = @TenantId
              and d.seq > @After
              and (@PatientId::text is null or d.patient_id = @PatientId)
              and (@IntentId::text is null or d.intent_id = @IntentId)
              and (@CampaignId::text is null or d.campaign_id = @CampaignId)
              and (@Channel::text is null or d.channel = @Channel)
              and (@Outcome::text is null or d.outcome = @Outcome)
              and (@Reason::text is null or @Reason = any (d.reasons))
              and (@Dispatch::text is null or p.status = @Dispatch)
              and (@From::timestamptz is null or d.decided_at >= @From)
              and (@To::timestamptz is null or d.decided_at < @To)
            order by d.seq
            limit @Limit offset @Offset
            """, Parameters(filter, size + 1, (Math.Max(filter.Page, 1) - 1) * size), cancellationToken: ct))).ToList();
        var more = rows.Count > size;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        return new DecisionPage(rows, more ? rows[^1].Seq : null);
    }

    /// <summary>One decision of the tenant, or null (another clinic's decision is null too).</summary>
    public async Task<DecisionEntry?> FindAsync(string tenantId, Guid decisionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QueryFirstOrDefaultAsync<DecisionEntry>(new CommandDefinition($"""
            {Select}
            where d.tenant_id = @tenantId and d.decision_id = @decisionId
            """, new { tenantId, decisionId }, cancellationToken: ct));
    }

    /// <summary>Every decision about one patient, in seq order (an access request's answer).</summary>
    internal static async Task<IReadOnlyList<DecisionEntry>> ForPatientAsync(NpgsqlConnection connection, string tenantId, string patientId,
        CancellationToken ct) =>
        (await connection.QueryAsync<DecisionEntry>(new CommandDefinition($"""
            {Select}
            where d.tenant_id = @tenantId and d.patient_id = @patientId
            order by d.seq
            """, new { tenantId, patientId }, cancellationToken: ct))).AsList();

    /// <summary>The highest seq of the tenant (where a live tail starts).</summary>
    public async Task<long> HeadAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "select max(seq) from decisions where tenant_id = @tenantId", new { tenantId }, cancellationToken: ct)) ?? 0;
    }

    private static object Parameters(DecisionFilter f, int limit, int offset) => new
    {
        f.TenantId,
        f.After,
        f.PatientId,
        f.IntentId,
        f.CampaignId,
        Channel = f.Channel is { } channel ? WireNames.Of(channel) : null,
        Outcome = f.Outcome?.ToString(),
        f.Reason,
        f.Dispatch,
        From = f.From?.UtcDateTime,
        To = f.To?.UtcDateTime,
        Limit = limit,
        Offset = offset,
    };
}

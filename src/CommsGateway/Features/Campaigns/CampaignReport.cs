using Dapper;
using Npgsql;

namespace CommsGateway.Features.Campaigns;

public sealed record CountRow(string Key, string? Detail, int Count);

public sealed record CampaignReport(
    string CampaignId,
    string Name,
    string Status,
    int Recipients,
    int Queued,
    int Decided,
    DateTimeOffset CreatedAt,
    DateTimeOffset? QueuedAt,
    DateTimeOffset? CancelledAt,
    IReadOnlyList<CountRow> Outcomes,
    IReadOnlyList<CountRow> Reasons,
    IReadOnlyList<CountRow> Deliveries,
    int Unsubscribes,
    IReadOnlyList<CountRow> ProviderFailures);

/// <summary>
/// A campaign's events over time, in buckets of an hour (a campaign spanning two days or less) or a day: per bucket
/// start (UTC) and series ("Sent", "Failed", "Blocked:&lt;first reason&gt;", "delivery:&lt;status&gt;", "unsubscribe") the count.
/// Buckets run without a gap from the first event to the last.
/// </summary>
public sealed record CampaignTimeline(TimeSpan Bucket, IReadOnlyList<DateTimeOffset> Buckets, IReadOnlyDictionary<string, int[]> Series)
{
    /// <summary>Beyond this span, buckets are days.</summary>
    public static readonly TimeSpan HourlyUpTo = TimeSpan.FromHours(48);
}

/// <summary>One recipient line of the CSV export: patient id and outcome, no address, no content.</summary>
public sealed record CampaignReportLine(string PatientId, string Channel, string Outcome, string[] Reasons, string? DispatchStatus, DateTimeOffset DecidedAt)
{
    /// <summary>The provider's own error code when it refused the message ("21610", "400" ...).</summary>
    public string? ProviderCode { get; init; }
}

/// <summary>
/// What happened to a campaign, from the decision log (campaign_id), dispatches, and unsubscribes the campaign's
/// links caused. A Deferred or Held row is superseded by the intent's final row when there is one. A decision to send that the
/// provider refused (dispatch failed) counts as Failed, with the dispatch's reason code and the provider's own code:
/// the decision row stays as it was (append-only), the report reads both.
/// </summary>
public sealed class CampaignReports(NpgsqlDataSource dataSource, CampaignStore store)
{
    private const string LatestDecisions = """
        with latest as (
            select distinct on (intent_id) decision_id, intent_id, patient_id, channel, outcome, reasons, decided_at
            from decisions where tenant_id = @tenantId and campaign_id = @campaignId
            order by intent_id, (outcome in ('Deferred', 'Held')), seq desc
        ),
        settled as (
            select l.decision_id, l.intent_id, l.patient_id, l.channel, l.decided_at, d.status as dispatch_status,
                   case when d.status = 'failed' then 'Failed' else l.outcome end as outcome,
                   case when d.status = 'failed' then array_append(l.reasons, coalesce(d.error_code, 'ProviderRejected')) else l.reasons end as reasons,
                   case when d.status = 'failed' then d.provider end as provider,
                   case when d.status = 'failed' then d.provider_error_code end as provider_code,
                   d.error_code
            from latest l left join dispatches d on d.decision_id = l.decision_id
        )
        """;

    public async Task<CampaignReport?> ReportAsync(string tenantId, string campaignId, CancellationToken ct)
    {
        var campaign = await store.FindAsync(tenantId, campaignId, ct);
        if (campaign is null)
        {
            return null;
        }

        var args = new { tenantId, campaignId };
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var outcomes = (await connection.QueryAsync<CountRow>(new CommandDefinition(LatestDecisions + """
            select outcome as key, channel as detail, count(*)::int as count from settled group by outcome, channel order by outcome, channel
            """, args, cancellationToken: ct))).ToList();
        var reasons = (await connection.QueryAsync<CountRow>(new CommandDefinition(LatestDecisions + """
            select r as key, outcome as detail, count(*)::int as count from settled, unnest(reasons) r group by r, outcome order by count(*) desc, r
            """, args, cancellationToken: ct))).ToList();
        var deliveries = (await connection.QueryAsync<CountRow>(new CommandDefinition(LatestDecisions + """
            select dispatch_status as key, channel as detail, count(*)::int as count
            from settled where dispatch_status is not null group by dispatch_status, channel order by dispatch_status, channel
            """, args, cancellationToken: ct))).ToList();
        var failures = (await connection.QueryAsync<CountRow>(new CommandDefinition(LatestDecisions + """
            select coalesce(provider, '?') || ' ' || coalesce(provider_code, '?') as key, error_code as detail, count(*)::int as count
            from settled where dispatch_status = 'failed' group by 1, error_code order by count(*) desc, 1
            """, args, cancellationToken: ct))).ToList();
        // Provider delivery events (delivered, bounced ...): decisions per event status.
        deliveries.AddRange(await DeliveryEventsAsync(connection, args, ct));

        var unsubscribes = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "select count(distinct request_id)::int from unsubscribe_events where tenant_id = @tenantId and campaign_id = @campaignId", args, cancellationToken: ct));
        return new CampaignReport(campaign.CampaignId, campaign.Definition.Name ?? "", campaign.Status, campaign.RecipientCount, campaign.QueuedCount,
            outcomes.Sum(o => o.Count), campaign.CreatedAt, campaign.QueuedAt, campaign.CancelledAt, outcomes, reasons, deliveries, unsubscribes, failures);
    }

    /// <summary>
    /// Decisions (each intent's latest, as the report counts them; blocked ones by their first reason), provider delivery
    /// events and unsubscribes of the campaign, counted per hour, then per day when they span more than two days.
    /// </summary>
    public async Task<CampaignTimeline> TimelineAsync(string tenantId, string campaignId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<(DateTime Hour, string Series, int Count)>(new CommandDefinition(LatestDecisions + """
            , events as (
                select decided_at as at, case when outcome = 'Blocked' then 'Blocked:' || coalesce(reasons[1], '-') else outcome end as series
                from settled where outcome in ('Sent', 'Blocked', 'Failed')
                union all
                select dl.occurred_at, 'delivery:' || dl.status from settled l join deliveries dl on dl.decision_id = l.decision_id
                union all
                select min(occurred_at), 'unsubscribe' from unsubscribe_events
                where tenant_id = @tenantId and campaign_id = @campaignId group by request_id
            )
            select date_trunc('hour', at at time zone 'UTC') as hour, series, count(*)::int as count from events group by 1, 2 order by 1, 2
            """, new { tenantId, campaignId }, cancellationToken: ct))).ToList();
        if (rows.Count == 0)
        {
            return new CampaignTimeline(TimeSpan.FromHours(1), [], new Dictionary<string, int[]>(StringComparer.Ordinal));
        }

        var first = rows.Min(r => r.Hour);
        var last = rows.Max(r => r.Hour);
        var daily = last - first > CampaignTimeline.HourlyUpTo;
        var bucket = daily ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
        DateTime Start(DateTime hour) => daily ? hour.Date : hour;
        var origin = Start(first);
        var count = (int)((Start(last) - origin) / bucket) + 1;
        var series = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var (hour, name, n) in rows)
        {
            if (!series.TryGetValue(name, out var values))
            {
                series[name] = values = new int[count];
            }

            values[(int)((Start(hour) - origin) / bucket)] += n;
        }

        return new CampaignTimeline(bucket, [.. Enumerable.Range(0, count).Select(i => new DateTimeOffset(DateTime.SpecifyKind(origin + (i * bucket), DateTimeKind.Utc)))],
            new Dictionary<string, int[]>(series, StringComparer.Ordinal));
    }

    public async IAsyncEnumerable<CampaignReportLine> LinesAsync(string tenantId, string campaignId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<LineRow>(new CommandDefinition(LatestDecisions + """
            select patient_id, channel, outcome, reasons, dispatch_status, provider_code, decided_at from settled order by patient_id, channel
            """, new { tenantId, campaignId }, cancellationToken: ct));
        foreach (var r in rows)
        {
            yield return new CampaignReportLine(r.PatientId ?? "", r.Channel, r.Outcome, r.Reasons, r.DispatchStatus,
                new DateTimeOffset(DateTime.SpecifyKind(r.DecidedAt, DateTimeKind.Utc))) { ProviderCode = r.ProviderCode };
        }
    }

    /// <summary>Provider delivery events (<c>deliveries</c>, 0003) of the campaign's decisions, by status and channel.</summary>
    private static Task<IEnumerable<CountRow>> DeliveryEventsAsync(NpgsqlConnection connection, object args, CancellationToken ct) =>
        connection.QueryAsync<CountRow>(new CommandDefinition(LatestDecisions + """
            select 'delivery:' || dl.status as key, l.channel as detail, count(distinct l.decision_id)::int as count
            from settled l join deliveries dl on dl.decision_id = l.decision_id group by dl.status, l.channel order by 1
            """, args, cancellationToken: ct));

    private sealed record LineRow
    {
        public string? PatientId { get; init; }
        public string Channel { get; init; } = "";
        public string Outcome { get; init; } = "";
        public string[] Reasons { get; init; } = [];
        public string? DispatchStatus { get; init; }
        public string? ProviderCode { get; init; }
        public DateTime DecidedAt { get; init; }
    }
}

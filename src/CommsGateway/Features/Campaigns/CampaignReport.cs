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
    int Unsubscribes);

/// <summary>One recipient line of the CSV export: patient id and outcome, no address, no content.</summary>
public sealed record CampaignReportLine(string PatientId, string Channel, string Outcome, string[] Reasons, string? DispatchStatus, DateTimeOffset DecidedAt);

/// <summary>
/// What happened to a campaign, from the decision log (campaign_id), dispatches, and unsubscribes the campaign's
/// links caused. A Deferred row is superseded by the intent's final row when there is one.
/// </summary>
public sealed class CampaignReports(NpgsqlDataSource dataSource, CampaignStore store)
{
    private const string LatestDecisions = """
        with latest as (
            select distinct on (intent_id) decision_id, intent_id, patient_id, channel, outcome, reasons, decided_at
            from decisions where tenant_id = @tenantId and campaign_id = @campaignId
            order by intent_id, (outcome = 'Deferred'), seq desc
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
            select outcome as key, channel as detail, count(*)::int as count from latest group by outcome, channel order by outcome, channel
            """, args, cancellationToken: ct))).ToList();
        var reasons = (await connection.QueryAsync<CountRow>(new CommandDefinition(LatestDecisions + """
            select r as key, outcome as detail, count(*)::int as count from latest, unnest(reasons) r group by r, outcome order by count(*) desc, r
            """, args, cancellationToken: ct))).ToList();
        var deliveries = (await connection.QueryAsync<CountRow>(new CommandDefinition(LatestDecisions + """
            select d.status as key, d.channel as detail, count(*)::int as count
            from latest l join dispatches d on d.decision_id = l.decision_id group by d.status, d.channel order by d.status
            """, args, cancellationToken: ct))).ToList();
        // Provider delivery events (delivered, bounced ...) live in `deliveries` once the providers branch adds it.
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select to_regclass('deliveries') is not null", cancellationToken: ct)))
        {
            deliveries.AddRange(await DeliveryEventsAsync(connection, args, ct));
        }

        var unsubscribes = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "select count(distinct request_id)::int from unsubscribe_events where tenant_id = @tenantId and campaign_id = @campaignId", args, cancellationToken: ct));
        return new CampaignReport(campaign.CampaignId, campaign.Definition.Name ?? "", campaign.Status, campaign.RecipientCount, campaign.QueuedCount,
            outcomes.Sum(o => o.Count), campaign.CreatedAt, campaign.QueuedAt, campaign.CancelledAt, outcomes, reasons, deliveries, unsubscribes);
    }

    public async IAsyncEnumerable<CampaignReportLine> LinesAsync(string tenantId, string campaignId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<LineRow>(new CommandDefinition(LatestDecisions + """
            select l.patient_id, l.channel, l.outcome, l.reasons, d.status as dispatch_status, l.decided_at
            from latest l left join dispatches d on d.decision_id = l.decision_id order by l.patient_id, l.channel
            """, new { tenantId, campaignId }, cancellationToken: ct));
        foreach (var r in rows)
        {
            yield return new CampaignReportLine(r.PatientId ?? "", r.Channel, r.Outcome, r.Reasons, r.DispatchStatus,
                new DateTimeOffset(DateTime.SpecifyKind(r.DecidedAt, DateTimeKind.Utc)));
        }
    }

    /// <summary>The seam for the providers branch: latest provider status per decision, if its table has one.</summary>
    private static async Task<IEnumerable<CountRow>> DeliveryEventsAsync(NpgsqlConnection connection, object args, CancellationToken ct)
    {
        var hasStatus = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            select exists (select 1 from information_schema.columns where table_name = 'deliveries' and column_name = 'status')
               and exists (select 1 from information_schema.columns where table_name = 'deliveries' and column_name = 'decision_id')
            """, cancellationToken: ct));
        if (!hasStatus)
        {
            return [];
        }

        return await connection.QueryAsync<CountRow>(new CommandDefinition(LatestDecisions + """
            select 'delivery:' || dl.status as key, l.channel as detail, count(distinct l.decision_id)::int as count
            from latest l join deliveries dl on dl.decision_id = l.decision_id group by dl.status, l.channel order by 1
            """, args, cancellationToken: ct));
    }

    private sealed record LineRow
    {
        public string? PatientId { get; init; }
        public string Channel { get; init; } = "";
        public string Outcome { get; init; } = "";
        public string[] Reasons { get; init; } = [];
        public string? DispatchStatus { get; init; }
        public DateTime DecidedAt { get; init; }
    }
}

using CommsGateway.Features.Campaigns;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Campaigns;

/// <summary>
/// A campaign's report (<see cref="CampaignReports"/>, as `commsgw campaign report`) with server-rendered SVG charts:
/// counts by outcome, reason and delivery status, and the same over time. Aggregates only: no patient appears.
/// </summary>
[Authorize(Policy = ConsolePolicies.Campaigns)]
public sealed class ReportModel(CampaignReports reports) : ConsolePageModel
{
    public CampaignReport? Report { get; private set; }

    /// <summary>Seconds between refreshes of a campaign still being queued or decided (a meta refresh: the console runs no script).</summary>
    public const int RefreshSeconds = 5;

    /// <summary>Still moving: being queued, or queued with decisions still to come.</summary>
    public bool InProgress => Report is { } r && (r.Status == "queuing" || (r.Status == "queued" && r.Decided < r.Queued));

    /// <summary>The user asked for automatic refresh (WCAG 2.2.1: a refresh the user turns on and off, never imposed).</summary>
    public bool Live { get; private set; }

    public bool Refreshing => Live && InProgress;

    public async Task<IActionResult> OnGetAsync(string id, bool live, CancellationToken ct)
    {
        Live = live;
        Title = T("Campaign report", "Bilan de campagne");
        Report = await reports.ReportAsync(TenantId, id, ct);
        if (Report is null)
        {
            return NotFound();
        }

        Timeline = await reports.TimelineAsync(TenantId, id, ct);
        return Page();
    }

    /// <summary>The campaign's events per hour or per day (<see cref="CampaignReports.TimelineAsync"/>).</summary>
    public CampaignTimeline? Timeline { get; private set; }

    /// <summary>Sent, refused by the provider, and blocked by first reason, in the timeline's order.</summary>
    public IReadOnlyList<Charts.Series> DecisionSeries => Pick(k => k is "Sent" or "Failed" || k.StartsWith("Blocked:", StringComparison.Ordinal));

    /// <summary>Provider delivery events (delivered, bounces ...) and unsubscribes.</summary>
    public IReadOnlyList<Charts.Series> DeliverySeries => Pick(k => k == "unsubscribe" || k.StartsWith("delivery:", StringComparison.Ordinal));

    private List<Charts.Series> Pick(Func<string, bool> keep) =>
        [.. (Timeline?.Series.Keys ?? []).Where(keep).OrderBy(Rank).ThenBy(k => k, StringComparer.Ordinal)
            .Select(k => new Charts.Series(k, SeriesLabel(k)))];

    /// <summary>What went out first (blue), then what failed (red): the charts' first two colours keep one meaning.</summary>
    private static int Rank(string key) => key switch
    {
        "Sent" or "delivery:delivered" => 0,
        "Failed" or "delivery:bounce" or "delivery:bounced" => 1,
        _ => 2,
    };

    private string SeriesLabel(string key) => key switch
    {
        "Sent" => T("Sent", "Envoyés"),
        "Failed" => T("Refused by the provider", "Refusés par le fournisseur"),
        "unsubscribe" => T("Unsubscribes", "Désinscriptions"),
        "delivery:delivered" => T("Delivered", "Remis"),
        "delivery:bounce" or "delivery:bounced" => T("Bounced", "Rejetés (rebond)"),
        _ when key.StartsWith("Blocked:", StringComparison.Ordinal) => T("Blocked: ", "Bloqués : ") + key["Blocked:".Length..],
        _ => T("Delivery: ", "Remise : ") + key["delivery:".Length..],
    };
}

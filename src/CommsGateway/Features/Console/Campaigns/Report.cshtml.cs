using System.Globalization;
using System.Text;
using CommsGateway.Features.Campaigns;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Campaigns;

/// <summary>A campaign's report (<see cref="CampaignReports"/>, as `commsgw campaign report`) with server-rendered SVG bar charts.</summary>
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
        return Report is null ? NotFound() : Page();
    }

    /// <summary>
    /// A horizontal bar chart as inline SVG (no script, no style attribute: the console's CSP allows neither), with a
    /// title for screen readers; the same figures are in the table beside it.
    /// </summary>
    public static IHtmlContent Bars(string id, string title, IReadOnlyList<CountRow> rows)
    {
        if (rows.Count == 0)
        {
            return new HtmlString("<p class=\"hint\">0</p>");
        }

        const int barHeight = 22, gap = 8, labelWidth = 230, chartWidth = 300;
        var max = Math.Max(1, rows.Max(r => r.Count));
        var height = rows.Count * (barHeight + gap);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg role="img" aria-labelledby="{id}-title" width="100%" viewBox="0 0 {labelWidth + chartWidth + 60} {height}" xmlns="http://www.w3.org/2000/svg">""");
        svg.Append(CultureInfo.InvariantCulture, $"""<title id="{id}-title">{System.Net.WebUtility.HtmlEncode(title)}</title>""");
        for (var i = 0; i < rows.Count; i++)
        {
            var y = i * (barHeight + gap);
            var width = Math.Max(2, rows[i].Count * chartWidth / max);
            var label = System.Net.WebUtility.HtmlEncode(rows[i].Key + (rows[i].Detail is { } d ? " " + d : ""));
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="0" y="{y + 16}" font-size="14" fill="#1d2433">{label}</text>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{labelWidth}" y="{y}" width="{width}" height="{barHeight}" fill="#0b5cad"></rect>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{labelWidth + width + 6}" y="{y + 16}" font-size="14" fill="#1d2433">{rows[i].Count}</text>""");
        }

        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using CommsGateway.Features.Campaigns;
using Microsoft.AspNetCore.Html;

namespace CommsGateway.Features.Console.Campaigns;

/// <summary>
/// The report's charts as inline SVG: no script and no style attribute (the console's CSP allows neither), each with a
/// title and a description for screen readers, and its figures in a table beside it.
/// </summary>
public static class Charts
{
    private const string Ink = "#1d2433";

    /// <summary>Colours with at least 3:1 against white, and a dash pattern each, so a series is told apart without colour.</summary>
    private static readonly string[] Colours = ["#0b5cad", "#a4161a", "#1b6e3a", "#7a3e9d", "#9a4d00", "#00737a", "#5c5c5c", "#7a6200"];

    private static readonly string[] Dashes = ["", "6 3", "2 3", "8 3 2 3"];

    /// <summary>A horizontal bar chart (counts by outcome, reason, delivery status).</summary>
    public static IHtmlContent Bars(string id, string title, IReadOnlyList<CountRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return new HtmlString("<p class=\"hint\">0</p>");
        }

        const int barHeight = 22, gap = 8, labelWidth = 230, chartWidth = 300;
        var max = Math.Max(1, rows.Max(r => r.Count));
        var height = rows.Count * (barHeight + gap);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg role="img" aria-labelledby="{id}-title" width="100%" viewBox="0 0 {labelWidth + chartWidth + 60} {height}" xmlns="http://www.w3.org/2000/svg">""");
        svg.Append(CultureInfo.InvariantCulture, $"""<title id="{id}-title">{Encode(title)}</title>""");
        for (var i = 0; i < rows.Count; i++)
        {
            var y = i * (barHeight + gap);
            var width = Math.Max(2, rows[i].Count * chartWidth / max);
            var label = Encode(rows[i].Key + (rows[i].Detail is { } d ? " " + d : ""));
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="0" y="{y + 16}" font-size="14" fill="{Ink}">{label}</text>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{labelWidth}" y="{y}" width="{width}" height="{barHeight}" fill="#0b5cad"></rect>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{labelWidth + width + 6}" y="{y + 16}" font-size="14" fill="{Ink}">{rows[i].Count}</text>""");
        }

        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    /// <summary>The series of a timeline this chart draws, in order, with their labels.</summary>
    public sealed record Series(string Key, string Label);

    /// <summary>
    /// Counts over time: one line per series (colour, dash pattern and legend), the time axis in UTC, then the same
    /// figures as a table (one row per bucket) in a disclosure under the chart.
    /// </summary>
    public static IHtmlContent Lines(string id, string title, CampaignTimeline timeline, IReadOnlyList<Series> series, bool fr)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0 || timeline.Buckets.Count == 0)
        {
            return new HtmlString($"""<p class="hint">{(fr ? "Rien pour l'instant." : "Nothing yet.")}</p>""");
        }

        const int width = 640, left = 44, right = 16, top = 12, plot = 180, axis = 36, legendRow = 22;
        var daily = timeline.Bucket >= TimeSpan.FromDays(1);
        var n = timeline.Buckets.Count;
        var values = series.Select(s => timeline.Series[s.Key]).ToList();
        var max = Math.Max(1, values.Max(v => v.Max()));
        var height = top + plot + axis + (series.Count * legendRow);
        double X(int i) => n == 1 ? left + ((width - left - right) / 2.0) : left + (i * (width - left - right) / (double)(n - 1));
        double Y(int v) => top + plot - (v * plot / (double)max);
        string Label(int i) => timeline.Buckets[i].UtcDateTime.ToString(daily ? "yyyy-MM-dd" : "MM-dd HH:mm", CultureInfo.InvariantCulture);
        var unit = daily ? (fr ? "par jour" : "per day") : (fr ? "par heure" : "per hour");
        var totals = string.Join(", ", series.Select((s, k) => $"{s.Label} {values[k].Sum()}"));
        var desc = fr
            ? $"{unit}, du {Label(0)} au {Label(n - 1)} (UTC). Totaux : {totals}. Les chiffres sont dans le tableau sous le graphique."
            : $"{unit}, from {Label(0)} to {Label(n - 1)} (UTC). Totals: {totals}. The figures are in the table under the chart.";

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg id="{id}" class="timeline" role="img" aria-labelledby="{id}-title {id}-desc" width="100%" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">""");
        svg.Append(CultureInfo.InvariantCulture, $"""<title id="{id}-title">{Encode(title)}</title><desc id="{id}-desc">{Encode(desc)}</desc>""");
        // Axes and the scale: 0, the middle and the highest count.
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{left}" y1="{top + plot}" x2="{width - right}" y2="{top + plot}" stroke="{Ink}"></line>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot}" stroke="{Ink}"></line>""");
        foreach (var tick in new[] { 0, max / 2, max }.Distinct())
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{left}" y1="{Y(tick):0.#}" x2="{width - right}" y2="{Y(tick):0.#}" stroke="#cbd2dc" stroke-dasharray="2 4"></line>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{left - 6}" y="{Y(tick) + 4:0.#}" font-size="12" text-anchor="end" fill="{Ink}">{tick}</text>""");
        }

        // At most six time labels, the last always.
        var step = Math.Max(1, (int)Math.Ceiling(n / 6.0));
        for (var i = 0; i < n; i++)
        {
            if (i % step == 0 || i == n - 1)
            {
                var anchor = n == 1 ? "middle" : i == 0 ? "start" : i == n - 1 ? "end" : "middle";
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{X(i):0.#}" y="{top + plot + 18}" font-size="12" text-anchor="{anchor}" fill="{Ink}">{Label(i)}</text>""");
            }
        }

        for (var k = 0; k < series.Count; k++)
        {
            var colour = Colours[k % Colours.Length];
            var dash = Dashes[k % Dashes.Length] is { Length: > 0 } d ? $" stroke-dasharray=\"{d}\"" : "";
            var points = string.Join(" ", values[k].Select((v, i) => string.Create(CultureInfo.InvariantCulture, $"{X(i):0.#},{Y(v):0.#}")));
            svg.Append(CultureInfo.InvariantCulture, $"""<polyline class="series" data-series="{Encode(series[k].Key)}" fill="none" stroke="{colour}" stroke-width="2"{dash} points="{points}"></polyline>""");
            for (var i = 0; i < n; i++)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<circle cx="{X(i):0.#}" cy="{Y(values[k][i]):0.#}" r="3" fill="{colour}"></circle>""");
            }

            var y = top + plot + axis + (k * legendRow) + 10;
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{left}" y1="{y}" x2="{left + 28}" y2="{y}" stroke="{colour}" stroke-width="3"{dash}></line>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{left + 36}" y="{y + 5}" font-size="13" fill="{Ink}">{Encode(series[k].Label)} ({values[k].Sum()})</text>""");
        }

        svg.Append("</svg>");

        var table = new StringBuilder();
        table.Append(CultureInfo.InvariantCulture, $"""<details class="figures"><summary>{(fr ? "Les chiffres en tableau" : "The figures as a table")}<span class="visually-hidden">: {Encode(title)}</span></summary>""");
        table.Append(CultureInfo.InvariantCulture, $"""<div class="table-wrap"><table id="{id}-table"><caption>{Encode(title)} ({unit}, UTC)</caption><thead><tr>""");
        table.Append(CultureInfo.InvariantCulture, $"""<th scope="col">{(daily ? (fr ? "Jour" : "Day") : (fr ? "Heure" : "Hour"))}</th>""");
        foreach (var s in series)
        {
            table.Append(CultureInfo.InvariantCulture, $"""<th scope="col">{Encode(s.Label)}</th>""");
        }

        table.Append("</tr></thead><tbody>");
        for (var i = 0; i < n; i++)
        {
            table.Append(CultureInfo.InvariantCulture, $"""<tr><th scope="row">{Label(i)}</th>""");
            foreach (var v in values)
            {
                table.Append(CultureInfo.InvariantCulture, $"<td>{v[i]}</td>");
            }

            table.Append("</tr>");
        }

        table.Append("</tbody></table></div></details>");
        return new HtmlString(svg.ToString() + table);
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}

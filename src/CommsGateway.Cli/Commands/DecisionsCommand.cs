using System.CommandLine;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Audit;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw decisions`: the DPO's view of the decision log; `commsgw decisions tail` follows it live.</summary>
internal static class DecisionsCommand
{
    public static Command Create()
    {
        var connection = CliDatabase.ConnectionOption();
        var tenant = new Option<string>("--tenant") { Description = "Clinic (required: no query spans clinics)", Required = true };
        var patient = new Option<string?>("--patient") { Description = "Patient id" };
        var campaign = new Option<string?>("--campaign") { Description = "Campaign id" };
        var channel = new Option<Channel?>("--channel") { Description = "email, sms or whatsapp" };
        var outcome = new Option<DecisionOutcome?>("--outcome") { Description = "Sent, Blocked, Deferred, Held, Rejected, Failed ..." };
        var reason = new Option<string?>("--reason") { Description = "Reason code, e.g. NoMarketingConsent" };
        var dispatch = new Option<string?>("--dispatch")
        {
            Description = "Provider call state: failed (refused or unreachable: the decision row still says Sent), sent, dispatching, unknown",
        };
        dispatch.AcceptOnlyFromAmong([.. DecisionFilter.DispatchStatuses]);
        var from = new Option<DateTimeOffset?>("--from") { Description = "Decided at or after (ISO 8601)" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Decided before (ISO 8601)" };
        var after = new Option<long>("--after") { Description = "Keyset: only rows with seq greater than this" };
        var page = new Option<int>("--page") { Description = "Page number (1-based)", DefaultValueFactory = _ => 1 };
        var pageSize = new Option<int>("--page-size") { Description = "Rows per page (max 1000)", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "JSON instead of a table" };

        var command = new Command("decisions", "Query the decision log of one clinic")
        {
            connection, tenant, patient, campaign, channel, outcome, reason, dispatch, from, to, after, page, pageSize, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            await using var db = CliDatabase.Open(parse.GetValue(connection));
            var filter = new DecisionFilter
            {
                TenantId = parse.GetValue(tenant)!,
                PatientId = parse.GetValue(patient),
                CampaignId = parse.GetValue(campaign),
                Channel = parse.GetValue(channel),
                Outcome = parse.GetValue(outcome),
                Reason = parse.GetValue(reason),
                Dispatch = parse.GetValue(dispatch),
                From = parse.GetValue(from),
                To = parse.GetValue(to),
                After = parse.GetValue(after),
                Page = parse.GetValue(page),
                PageSize = Math.Clamp(parse.GetValue(pageSize), 1, DecisionFilter.MaxPageSize),
            };
            var result = await new DecisionQuery(db).SearchAsync(filter, ct);
            if (parse.GetValue(json))
            {
                // The invocation's writer (Console.Out by default) so a test can read what a script would.
                await parse.InvocationConfiguration.Output.WriteLineAsync(JsonSerializer.Serialize(result, CliDatabase.Json));
                return 0;
            }

            AnsiConsole.Write(Table(result.Items, $"Decisions of {filter.TenantId}"));
            AnsiConsole.MarkupLine(result.NextAfter is { } next
                ? $"[grey]More: --after {next} (or --page {filter.Page + 1})[/]"
                : "[grey]End of results.[/]");
            return 0;
        });
        command.Subcommands.Add(Tail());
        return command;
    }

    private static Command Tail()
    {
        var connection = CliDatabase.ConnectionOption();
        var tenant = new Option<string>("--tenant") { Description = "Clinic", Required = true };
        var after = new Option<long?>("--after") { Description = "Start after this seq (default: from now on)" };
        var json = new Option<bool>("--json") { Description = "One JSON object per line" };
        var command = new Command("tail", "Follow a clinic's new decisions as they commit (Ctrl+C to stop)") { connection, tenant, after, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var db = CliDatabase.Open(parse.GetValue(connection));
            var query = new DecisionQuery(db);
            var id = parse.GetValue(tenant)!;
            var asJson = parse.GetValue(json);
            var start = parse.GetValue(after) ?? await query.HeadAsync(id, ct);
            var cursor = start;
            // Identity values are handed out before commit, so a lower seq can commit after a higher one was
            // shown: each poll looks back a window of seqs and prints every row (newer than the start) once.
            const long lookBack = 200; // < page size, so every full page also reaches past the cursor
            var seen = new HashSet<long>();
            AnsiConsole.MarkupLine($"[grey]Following {Markup.Escape(id)} after seq {start}; Ctrl+C to stop.[/]");
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var from = Math.Max(start, cursor - lookBack);
                    var page = await query.SearchAsync(new DecisionFilter { TenantId = id, After = from, PageSize = DecisionFilter.MaxPageSize }, ct);
                    foreach (var row in page.Items.Where(r => seen.Add(r.Seq)))
                    {
                        Print(row, asJson);
                    }

                    if (page.Items.Count > 0)
                    {
                        cursor = Math.Max(cursor, page.Items[^1].Seq);
                    }

                    seen.RemoveWhere(s => s <= cursor - lookBack);
                    if (page.NextAfter is null)
                    {
                        await Task.Delay(500, ct);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C
            }

            return 0;
        });
        return command;
    }

    private static void Print(DecisionEntry row, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(row, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
            return;
        }

        AnsiConsole.MarkupLine($"{row.DecidedAt:O} [bold]{row.Seq}[/] {Markup.Escape(row.IntentId)} {row.Channel} {Colour(row.Outcome)} " +
            $"{Markup.Escape(string.Join(",", row.Reasons))} patient={Markup.Escape(row.PatientId ?? "-")} dispatch={Markup.Escape(Dispatch(row))}");
    }

    internal static Table Table(IEnumerable<DecisionEntry> rows, string title)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(title)}[/]")
            .AddColumns("Seq", "Decided (UTC)", "Intent", "Patient", "Channel", "Campaign", "Outcome", "Reasons", "Dispatch");
        foreach (var r in rows)
        {
            table.AddRow(r.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), r.DecidedAt.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(r.IntentId), Markup.Escape(r.PatientId ?? "-"), r.Channel, Markup.Escape(r.CampaignId ?? "-"), Colour(r.Outcome),
                Markup.Escape(string.Join(", ", r.Reasons)), Markup.Escape(Dispatch(r)));
        }

        return table;
    }

    /// <summary>"failed InvalidRecipient (21211)": a provider failure shows here, not in the (append-only) outcome.</summary>
    internal static string Dispatch(DecisionEntry row) =>
        string.Join(' ', new[] { row.DispatchStatus ?? "-", row.DispatchErrorCode, row.ProviderErrorCode is { } code ? $"({code})" : null }
            .Where(p => p is not null));

    internal static string Colour(string outcome) => outcome switch
    {
        "Sent" or "SentWithMarketingRemoved" => $"[green]{outcome}[/]",
        "Blocked" or "Failed" => $"[red]{outcome}[/]",
        "Rejected" or "Deferred" or "Held" => $"[yellow]{outcome}[/]",
        _ => outcome,
    };
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CommsGateway.Data;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Campaigns;
using CommsGateway.Features.Unsubscribe;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw campaign preview|queue|report|cancel`: the marketing assistant's view of a campaign.</summary>
internal static class CampaignCommand
{
    public static Command Create(CliEnvironment? environment = null)
    {
        var env = environment ?? CliEnvironment.Terminal;
        var command = new Command("campaign", "Preview, queue, follow and cancel marketing campaigns");
        command.Subcommands.Add(Preview(env));
        command.Subcommands.Add(Queue(env));
        command.Subcommands.Add(Report(env));
        command.Subcommands.Add(Cancel(env));
        return command;
    }

    private sealed record DefinitionOptions(
        Option<string> Name, Option<FileInfo?> TemplateFr, Option<FileInfo?> TemplateEn, Option<string?> SubjectFr, Option<string?> SubjectEn,
        Option<string> Channels, Option<FileInfo?> Patients, Option<string?> ConsentedOn, Option<DateTimeOffset?> NotBefore, Option<DateTimeOffset?> ExpiresAt)
    {
        public IEnumerable<Option> All => [Name, TemplateFr, TemplateEn, SubjectFr, SubjectEn, Channels, Patients, ConsentedOn, NotBefore, ExpiresAt];

        public static DefinitionOptions Create() => new(
            new("--name") { Description = "Campaign name (shown in reports)", Required = true },
            new("--template-fr-file") { Description = "PATH of the French message template (a UTF-8 Liquid file, e.g. containing: Bonjour {{ patient.first_name }})" },
            new("--template-en-file") { Description = "PATH of the English message template (a UTF-8 Liquid file)" },
            new("--subject-fr") { Description = "French email subject" },
            new("--subject-en") { Description = "English email subject" },
            new("--channels") { Description = "One channel or an ordered preference: whatsapp,sms,email", Required = true },
            new("--patients") { Description = "CSV file of patient ids (first column; a header line is skipped)" },
            new("--consented-on") { Description = "Audience: every patient with marketing consent on this channel" },
            new("--not-before") { Description = "Do not send before (ISO 8601)" },
            new("--expires-at") { Description = "Do not send after (ISO 8601)" });

        public CampaignDefinition Read(ParseResult parse)
        {
            var templates = new Dictionary<string, string>();
            var subjects = new Dictionary<string, string>();
            if (parse.GetValue(TemplateFr) is { } fr) { templates["fr"] = ReadFile(fr, "--template-fr-file"); }
            if (parse.GetValue(TemplateEn) is { } en) { templates["en"] = ReadFile(en, "--template-en-file"); }
            if (parse.GetValue(SubjectFr) is { } sfr) { subjects["fr"] = sfr; }
            if (parse.GetValue(SubjectEn) is { } sen) { subjects["en"] = sen; }
            return new CampaignDefinition
            {
                Name = parse.GetValue(Name),
                Templates = templates,
                Subjects = subjects.Count > 0 ? subjects : null,
                Channels = parse.GetValue(Channels)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                PatientIds = parse.GetValue(Patients) is { } file ? ReadIds(file) : null,
                AudienceChannel = parse.GetValue(ConsentedOn),
                NotBefore = parse.GetValue(NotBefore),
                ExpiresAt = parse.GetValue(ExpiresAt),
            };
        }

        private static string ReadFile(FileInfo file, string option) => file.Exists
            ? File.ReadAllText(file.FullName)
            : throw new CliUsageException($"{option}: no such file '{file.FullName}' (the option takes the path of a template file, not the template text)");

        private static List<string> ReadIds(FileInfo file) => [.. (file.Exists ? File.ReadLines(file.FullName)
                : throw new CliUsageException($"--patients: no such file '{file.FullName}'"))
            .Select(l => l.Split(',')[0].Trim().Trim('"'))
            .Where(id => id.Length > 0 && !id.Equals("patient_id", StringComparison.OrdinalIgnoreCase))];
    }

    private static Task<int> RunAsync(CliEnvironment env, Func<IServiceProvider, Task<int>> body, CancellationToken ct) => env.RunAsync(body, ct, builder =>
    {
        builder.AddUnsubscribe();
        builder.AddCampaigns();
    });

    private static Command Preview(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var definition = DefinitionOptions.Create();
        var json = new Option<bool>("--json") { Description = "JSON instead of tables" };
        var command = new Command("preview", "Who would get it, by channel and reason, and three sample messages; nothing is queued") { tenant, json };
        foreach (var option in definition.All) { command.Options.Add(option); }
        command.SetAction((parse, ct) => RunAsync(env, async services =>
        {
            var preview = await services.GetRequiredService<CampaignService>().PreviewAsync(parse.GetValue(tenant)!, definition.Read(parse), null, ct);
            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(preview, CliDatabase.Json));
                return preview.Problems.Count > 0 ? 1 : 0;
            }

            if (env.Refused(preview.Problems))
            {
                return 1;
            }

            PrintPreview(env.Console, preview);
            return 0;
        }, ct));
        return command;
    }

    /// <summary>Audience, then per channel each outcome with its own reasons beneath it, then the sample messages.</summary>
    private static void PrintPreview(IAnsiConsole console, CampaignPreview preview)
    {
        console.MarkupLine($"Audience: [bold]{preview.AudienceSize}[/] patient(s)" +
            (preview.UnknownPatientIds.Count > 0 ? $", [yellow]{preview.UnknownPatientIds.Count} not on record (skipped)[/]" : ""));
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Channel", "Recipients", "Outcome", "Reason", "Count");
        foreach (var channel in preview.Channels)
        {
            var first = true;
            foreach (var (outcome, counted) in channel.Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                table.AddRow(first ? channel.Channel : "", first ? channel.Recipients.ToString(CultureInfo.InvariantCulture) : "",
                    DecisionsCommand.Colour(outcome), "", counted.Count.ToString(CultureInfo.InvariantCulture));
                first = false;
                foreach (var (reason, count) in counted.Reasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal))
                {
                    table.AddRow("", "", "", Markup.Escape(reason), count.ToString(CultureInfo.InvariantCulture));
                }
            }
        }

        console.Write(table);
        foreach (var line in preview.ReviewNeeded)
        {
            console.MarkupLine($"[yellow]Review needed[/]: {Markup.Escape(line)}");
        }

        foreach (var sample in preview.Samples)
        {
            console.Write(new Panel(Markup.Escape((sample.Subject is null ? "" : "Subject: " + sample.Subject + "\n\n") + sample.Body))
                .Header($"{Markup.Escape(sample.PatientId)} by {sample.Channel} ({sample.Outcome})"));
        }
    }

    private static Command Queue(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var definition = DefinitionOptions.Create();
        var id = new Option<string?>("--id") { Description = "Queue an existing campaign again (after an interruption); no one gets it twice" };
        var actor = CliHost.ActorOption();
        var yes = new Option<bool>("--yes") { Description = "Queue without showing the preview and asking (scripts)" };
        var command = new Command("queue", "Show the preview, ask, then create the campaign and queue it, with progress; or --id to queue an existing one again")
        {
            tenant, id, actor, yes,
        };
        foreach (var option in definition.All)
        {
            option.Required = false;
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => RunAsync(env, async services =>
        {
            var campaigns = services.GetRequiredService<CampaignService>();
            var tenantId = parse.GetValue(tenant)!;
            var campaignId = parse.GetValue(id);
            if (campaignId is null)
            {
                var def = definition.Read(parse);
                if (env.Refused(def.Validate()))
                {
                    return 1;
                }

                if (!await ConfirmAsync(env, campaigns, tenantId, def, null, parse.GetValue(yes), ct))
                {
                    env.Console.MarkupLine("Nothing was queued.");
                    return 1;
                }

                campaignId = await campaigns.CreateAsync(tenantId, def, Actor.Cli(parse.GetValue(actor)), ct);
                env.Console.MarkupLine($"Created campaign [bold]{campaignId}[/]");
            }

            else if (!parse.GetValue(yes) && !env.Confirm($"Queue campaign {Markup.Escape(campaignId)} of {Markup.Escape(tenantId)} again (recipients not yet queued get it)?", yes: false, "campaign queue"))
            {
                env.Console.MarkupLine("Nothing was queued.");
                return 1;
            }

            var clock = Stopwatch.StartNew();
            QueueResult? result = null;
            try
            {
                // Spectre draws the live bar on an interactive ANSI terminal and falls back to plain lines when redirected.
                await env.Console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RateColumn(), new RemainingTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask("Queuing", maxValue: 1);
                        result = await campaigns.QueueAsync(tenantId, campaignId, (done, total) =>
                        {
                            task.MaxValue = Math.Max(total, 1);
                            task.Value = done;
                        }, ct);
                        if (result.Ok)
                        {
                            task.Value = task.MaxValue;
                        }
                        else
                        {
                            task.StopTask(); // nothing was published: the bar must not read 100 %
                        }
                    });
            }
            catch (KeyNotFoundException)
            {
                env.Console.MarkupLine($"[red]No campaign {Markup.Escape(campaignId)} for {Markup.Escape(tenantId)}[/]");
                return 2;
            }

            clock.Stop();
            if (env.Refused(result!.Problems))
            {
                env.Console.MarkupLine($"[red]Nothing was queued[/] for {Markup.Escape(campaignId)}.");
                return 1;
            }

            env.Console.MarkupLine($"[green]Queued[/] {result.Published} intent(s) of {Markup.Escape(campaignId)} in {clock.Elapsed.TotalSeconds:F1} s " +
                $"({result.Published / Math.Max(clock.Elapsed.TotalSeconds, 0.001):F0}/s, confirmed by the broker)" +
                (result.UnknownPatientIds.Count > 0 ? $"; {result.UnknownPatientIds.Count} patient id(s) not on record skipped" : ""));
            env.Console.MarkupLine($"[grey]Follow it: commsgw campaign report {Markup.Escape(campaignId)} --tenant {Markup.Escape(tenantId)}[/]");
            return 0;
        }, ct));
        return command;
    }

    /// <summary>
    /// Sending reaches patients and cannot be taken back: the preview summary is shown and the operator says yes;
    /// --yes skips both (scripts); without a terminal and without --yes, a refusal naming --yes.
    /// </summary>
    private static async Task<bool> ConfirmAsync(CliEnvironment env, CampaignService campaigns, string tenantId, CampaignDefinition definition,
        string? campaignId, bool yes, CancellationToken ct)
    {
        if (yes)
        {
            return true;
        }

        if (!env.CanPrompt)
        {
            throw new CliUsageException("campaign queue sends to patients and needs a confirmation, and there is no terminal to ask on: run campaign preview, then add --yes");
        }

        var preview = await campaigns.PreviewAsync(tenantId, definition, campaignId, ct);
        if (env.Refused(preview.Problems))
        {
            return false;
        }

        PrintPreview(env.Console, preview);
        var sending = preview.Channels.Sum(c => c.Outcomes.TryGetValue("Sent", out var sent) ? sent.Count : 0);
        return env.Console.Confirm($"Queue this campaign to {preview.AudienceSize} patient(s) ({sending} message(s) would be sent now)?", false);
    }

    private static Command Report(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var id = new Argument<string>("id") { Description = "Campaign id" };
        var json = new Option<bool>("--json") { Description = "JSON instead of tables" };
        var csv = new Option<FileInfo?>("--csv") { Description = "Write per-recipient outcomes (patient ids only) to this CSV file" };
        var command = new Command("report", "Outcomes by reason, delivery statuses and unsubscribes of a campaign") { id, tenant, json, csv };
        command.SetAction((parse, ct) => RunAsync(env, async services =>
        {
            var reports = services.GetRequiredService<CampaignReports>();
            var tenantId = parse.GetValue(tenant)!;
            var campaignId = parse.GetValue(id)!;
            var report = await reports.ReportAsync(tenantId, campaignId, ct);
            if (report is null)
            {
                env.Console.MarkupLine($"[red]No campaign {Markup.Escape(campaignId)} for {Markup.Escape(tenantId)}[/]");
                return 2;
            }

            if (parse.GetValue(csv) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, await CampaignsFeature.ToCsvAsync(reports.LinesAsync(tenantId, campaignId, ct)), ct);
                env.Console.MarkupLine($"Wrote {Markup.Escape(file.FullName)}");
            }

            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(report, CliDatabase.Json));
                return 0;
            }

            env.Console.MarkupLine($"[bold]{Markup.Escape(report.Name)}[/] ({Markup.Escape(report.CampaignId)}): {report.Status}, " +
                $"{report.Queued} queued, {report.Decided} decided, {report.Unsubscribes} unsubscribe(s) from its links");
            env.Console.Write(Counts("Outcome", "Channel", report.Outcomes));
            env.Console.Write(Counts("Reason", "Outcome", report.Reasons));
            env.Console.Write(Counts("Delivery", "Channel", report.Deliveries));
            if (report.ProviderFailures.Count > 0)
            {
                env.Console.Write(Counts("Provider error", "Reason", report.ProviderFailures));
            }

            return 0;
        }, ct));
        return command;
    }

    private static Command Cancel(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var id = new Argument<string>("id") { Description = "Campaign id" };
        var actor = CliHost.ActorOption();
        var command = new Command("cancel", "Cancel: messages not yet decided are blocked (CampaignCancelled)") { id, tenant, actor };
        command.SetAction((parse, ct) => RunAsync(env, async services =>
        {
            var found = await services.GetRequiredService<CampaignService>().CancelAsync(parse.GetValue(tenant)!, parse.GetValue(id)!, Actor.Cli(parse.GetValue(actor)), ct);
            env.Console.MarkupLine(found ? "[green]Cancelled[/]: messages not yet decided will be blocked" : "[red]No such campaign[/]");
            return found ? 0 : 2;
        }, ct));
        return command;
    }

    private static Table Counts(string key, string detail, IReadOnlyList<CountRow> rows)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns(key, detail, "Count");
        foreach (var row in rows)
        {
            table.AddRow(Markup.Escape(row.Key), Markup.Escape(row.Detail ?? "-"), row.Count.ToString(CultureInfo.InvariantCulture));
        }

        return table;
    }

    /// <summary>Messages per second, for the progress bar (the ETA column uses the same rate).</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Markup($"{task.Value:F0}/{task.MaxValue:F0} [grey]({task.Speed ?? 0:F0}/s)[/]");
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Campaigns;
using CommsGateway.Features.Review;
using CommsGateway.Features.Unsubscribe;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// `commsgw review ...`: the clinic's review queue, through the same <see cref="ReviewQueue"/> as the admin API. A
/// verdict is recorded in the database; the gateway decides the intent (its poller runs the pipeline), at once when it
/// runs, else at its next start.
/// </summary>
internal static class ReviewCommand
{
    private static readonly JsonSerializerOptions JsonLines = new(JsonSerializerDefaults.Web);

    public static Command Create(CliEnvironment? environment = null)
    {
        var env = environment ?? CliEnvironment.Terminal;
        return new("review", "Held intents the classifier could not call service or marketing: list, show, settle; template verdicts")
        {
            List(env), Show(env), Settle(env, ReviewQueue.Service), Settle(env, ReviewQueue.Marketing), Templates(env), Revoke(env),
            ApproveCampaign(env), ExportLabels(env),
        };
    }

    private static Task<int> RunAsync(CliEnvironment env, Func<IServiceProvider, Task<int>> body, CancellationToken ct) =>
        env.RunAsync(body, ct, builder => builder.AddReviewServices());

    private static Argument<Guid> HeldArgument() => new("heldId") { Description = "The held intent's id (review list)" };

    private static Option<string> RequiredActor() => new("--actor") { Description = "The person who reviews (recorded with the verdict)", Required = true };

    private static Command List(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var all = new Option<bool>("--all") { Description = "Settled and timed-out intents too" };
        var json = new Option<bool>("--json") { Description = "JSON instead of a table" };
        var command = new Command("list", "The clinic's held intents, oldest first (no content)") { tenant, all, json };
        command.SetAction((parse, ct) => RunAsync(env, async services =>
        {
            var items = await services.GetRequiredService<ReviewQueue>().ListAsync(parse.GetValue(tenant)!, parse.GetValue(all), ct);
            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(items, CliDatabase.Json));
                return 0;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("Held id", "Intent", "Channel", "Held at", "Expires", "Probability", "Status");
            foreach (var item in items)
            {
                table.AddRow(item.HeldId.ToString(), Markup.Escape(item.IntentId), item.Channel, Time(item.HeldAt), Time(item.ExpiresAt),
                    item.Probability.ToString("0.00", CultureInfo.InvariantCulture), item.Status);
            }

            env.Console.Write(table);
            env.Console.MarkupLine($"[grey]{items.Count} item(s).[/]");
            return 0;
        }, ct));
        return command;
    }

    private static Command Show(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var held = HeldArgument();
        var json = new Option<bool>("--json") { Description = "JSON instead of text" };
        var command = new Command("show", "One held intent: its content (until settled), the unsure sentence, probability and signals") { tenant, held, json };
        command.SetAction((parse, ct) => RunAsync(env, async services =>
        {
            var detail = await services.GetRequiredService<ReviewQueue>().ShowAsync(parse.GetValue(tenant)!, parse.GetValue(held), ct);
            if (detail is null)
            {
                env.Console.MarkupLine("[red]No such held intent for this clinic.[/]");
                return 3;
            }

            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(detail, CliDatabase.Json));
                return 0;
            }

            var h = detail.Held;
            env.Console.MarkupLine($"[bold]{h.HeldId}[/] intent {Markup.Escape(h.IntentId)} by {h.Channel}, held {Time(h.HeldAt)}, expires {Time(h.ExpiresAt)}: [yellow]{h.Status}[/]");
            env.Console.MarkupLine($"Probability of marketing: {h.Probability.ToString("0.00", CultureInfo.InvariantCulture)}; template {h.TemplateKey[..16]}");
            foreach (var signal in h.Signals)
            {
                env.Console.MarkupLine($"  signal: {Markup.Escape(signal)}");
            }

            if (detail.Sentence is not null)
            {
                env.Console.MarkupLine($"Unsure sentence: [italic]{Markup.Escape(detail.Sentence)}[/]");
            }

            env.Console.Write(new Panel(Markup.Escape(detail.Body is null
                ? "(content purged: the intent is settled)"
                : (detail.Subject is null ? "" : "Subject: " + detail.Subject + "\n\n") + detail.Body)).Header("Message"));
            if (detail.Verdict is not null)
            {
                env.Console.MarkupLine($"Reviewed as [bold]{detail.Verdict}[/] by {Markup.Escape(detail.ReviewedBy ?? "")} at {Time(detail.ReviewedAt)}"
                    + (detail.Note is null ? "" : $": {Markup.Escape(detail.Note)}"));
            }

            return 0;
        }, ct));
        return command;
    }

    private static Command Settle(CliEnvironment env, string verdict)
    {
        var tenant = CliHost.TenantOption();
        var held = HeldArgument();
        var actor = RequiredActor();
        var note = new Option<string?>("--note") { Description = "Why (kept with the verdict, exported with the label)" };
        var service = verdict == ReviewQueue.Service;
        var command = new Command(service ? "approve" : "mark-marketing", service
            ? "Settle as service: the policy runs again as service (and the template is remembered)"
            : "Settle as marketing: consent, footer and quiet hours apply (and the template is remembered)") { tenant, held, actor, note };
        command.SetAction((parse, ct) => RunAsync(env, async services =>
        {
            var result = await services.GetRequiredService<ReviewQueue>().SettleAsync(parse.GetValue(tenant)!, parse.GetValue(held), verdict,
                Actor.Cli(parse.GetValue(actor)), parse.GetValue(note), ct);
            switch (result.Status)
            {
                case SettleStatus.Settled:
                    env.Console.MarkupLine($"[green]Settled[/] {result.HeldId} as {verdict}. The gateway decides it now (or at its next start): "
                        + $"commsgw review show --tenant {Markup.Escape(parse.GetValue(tenant)!)} {result.HeldId}");
                    return 0;
                case SettleStatus.AlreadySettled:
                    env.Console.MarkupLine($"[yellow]{Markup.Escape(ReviewFeature.AlreadySettledMessage(result))}[/]");
                    return 4;
                default:
                    env.Console.MarkupLine("[red]No such held intent for this clinic.[/]");
                    return 3;
            }
        }, ct));
        return command;
    }

    private static Command Templates(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var json = new Option<bool>("--json") { Description = "JSON instead of a table" };
        var command = new Command("templates", "Verdicts remembered per template (live and revoked)") { tenant, json };
        command.SetAction((parse, ct) => RunAsync(env, async services =>
        {
            var templates = await services.GetRequiredService<ReviewQueue>().TemplatesAsync(parse.GetValue(tenant)!, ct);
            if (parse.GetValue(json))
            {
                env.Out.WriteLine(JsonSerializer.Serialize(templates, CliDatabase.Json));
                return 0;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Template", "Verdict", "Reviewed by", "At", "From", "Revoked");
            foreach (var t in templates)
            {
                table.AddRow(t.TemplateId.ToString(CultureInfo.InvariantCulture), t.TemplateKey[..16], t.Verdict, Markup.Escape(t.ReviewedBy), Time(t.ReviewedAt),
                    Markup.Escape(t.HeldId?.ToString() ?? (t.CampaignId is null ? "" : "campaign " + t.CampaignId)),
                    t.RevokedAt is null ? "" : Markup.Escape($"{Time(t.RevokedAt)} by {t.RevokedBy}"));
            }

            env.Console.Write(table);
            return 0;
        }, ct));
        return command;
    }

    private static Command Revoke(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var template = new Argument<long>("templateId") { Description = "The template verdict's id (review templates)" };
        var actor = RequiredActor();
        var command = new Command("revoke", "Revoke a template verdict: that template's messages are held again") { tenant, template, actor };
        command.SetAction((parse, ct) => RunAsync(env, async services =>
        {
            if (!await services.GetRequiredService<ReviewQueue>().RevokeTemplateAsync(parse.GetValue(tenant)!, parse.GetValue(template), Actor.Cli(parse.GetValue(actor)), ct))
            {
                env.Console.MarkupLine("[red]No live template verdict with that id for this clinic.[/]");
                return 3;
            }

            env.Console.MarkupLine($"[green]Revoked[/] template verdict {parse.GetValue(template)}.");
            return 0;
        }, ct));
        return command;
    }

    private static Command ApproveCampaign(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var campaign = new Argument<string>("campaignId") { Description = "The campaign whose templates are reviewed" };
        var verdict = new Option<string>("--as") { Description = "service | marketing", Required = true };
        verdict.AcceptOnlyFromAmong(ReviewQueue.Service, ReviewQueue.Marketing);
        var actor = RequiredActor();
        var note = new Option<string?>("--note") { Description = "Why" };
        var command = new Command("approve-campaign", "Record a verdict on a campaign's unsure templates, so campaign queue accepts it")
        {
            tenant, campaign, verdict, actor, note,
        };
        command.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var result = await services.GetRequiredService<CampaignService>().ReviewTemplatesAsync(parse.GetValue(tenant)!, parse.GetValue(campaign)!,
                parse.GetValue(verdict)!, Actor.Cli(parse.GetValue(actor)), parse.GetValue(note), ct);
            if (!result.Found)
            {
                env.Console.MarkupLine("[red]No such campaign for this clinic.[/]");
                return 3;
            }

            if (env.Refused(result.Problems))
            {
                return 1;
            }

            env.Console.MarkupLine(result.Templates == 0
                ? "Nothing to review: the classifier is sure about every message of this campaign."
                : $"[green]Recorded[/] {parse.GetValue(verdict)} for {result.Templates} template(s) of {Markup.Escape(parse.GetValue(campaign)!)}.");
            return 0;
        }, ct, builder =>
        {
            builder.AddUnsubscribe();
            builder.AddCampaigns();
        }));
        return command;
    }

    private static Command ExportLabels(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var output = new Option<FileInfo?>("-o", "--output") { Description = "JSONL file (default: standard output)" };
        var command = new Command("export-labels", "Reviewed messages as labelled corpus lines (JSONL), personal data masked") { tenant, output };
        command.SetAction((parse, ct) => RunAsync(env, async services =>
        {
            var lines = await services.GetRequiredService<ReviewQueue>().ExportLabelsAsync(parse.GetValue(tenant)!, ct);
            var writer = parse.GetValue(output) is { } file ? new StreamWriter(file.FullName) : null;
            try
            {
                foreach (var line in lines)
                {
                    await (writer ?? env.Out).WriteLineAsync(JsonSerializer.Serialize(line, JsonLines));
                }
            }
            finally
            {
                if (writer is not null)
                {
                    await writer.DisposeAsync();
                }
            }

            if (writer is not null)
            {
                env.Console.MarkupLine($"[green]Wrote[/] {lines.Count} labelled example(s).");
            }

            return 0;
        }, ct));
        return command;
    }

    private static string Time(DateTimeOffset? at) => at?.ToString("u", CultureInfo.InvariantCulture) ?? "";
}

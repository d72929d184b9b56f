using System.CommandLine;
using System.Text.Json;
using CommsGateway.Features.Audit;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw retention run|set`: per-clinic retention of the decision log and the consent evidence.</summary>
internal static class RetentionCommand
{
    public static Command Create()
    {
        var command = new Command("retention", "Apply or configure per-clinic retention (decisions, consent evidence)");
        command.Subcommands.Add(Run());
        command.Subcommands.Add(Set());
        return command;
    }

    private static RetentionService Service(Npgsql.NpgsqlDataSource db) =>
        new(db, Options.Create(Defaults()), TimeProvider.System);

    /// <summary>The gateway's Retention section (appsettings.json next to the binary, then the environment).</summary>
    private static RetentionOptions Defaults()
    {
        var configuration = new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true).AddEnvironmentVariables().Build();
        var options = new RetentionOptions();
        configuration.GetSection(RetentionOptions.Section).Bind(options);
        return options;
    }

    private static Command Run()
    {
        var connection = CliDatabase.ConnectionOption();
        var tenant = new Option<string?>("--tenant") { Description = "One clinic (default: every clinic)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what would be removed; change nothing (the report row is still recorded)" };
        var actor = CliDatabase.ActorOption();
        var json = new Option<bool>("--json") { Description = "JSON instead of a table" };
        var command = new Command("run", "Remove (after a pseudonymised copy) what each clinic's retention says, and report it") { connection, tenant, dryRun, actor, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var db = CliDatabase.Open(parse.GetValue(connection));
            var reports = await Service(db).RunAsync(parse.GetValue(tenant), parse.GetValue(dryRun), parse.GetValue(actor)!, ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(reports, CliDatabase.Json));
                return 0;
            }

            var table = new Table().Border(TableBorder.Rounded)
                .Title(parse.GetValue(dryRun) ? "[bold yellow]Retention (dry run: nothing removed)[/]" : "[bold]Retention run[/]")
                .AddColumns("Run", "Tenant", "Table", "Cutoff (UTC)", "Removed", "Pseudonymised", "Related", "Seq range", "Chain anchor");
            foreach (var r in reports)
            {
                table.AddRow(r.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(r.TenantId), r.TableName,
                    r.Cutoff.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                    r.Removed.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Pseudonymised.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(r.RemovedRelated), r.FirstRemovedSeq is null ? "-" : $"{r.FirstRemovedSeq}..{r.LastRemovedSeq}",
                    r.ChainAnchor is null ? "-" : Convert.ToHexStringLower(r.ChainAnchor)[..16] + "…");
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static Command Set()
    {
        var connection = CliDatabase.ConnectionOption();
        var tenant = new Option<string>("--tenant") { Description = "Clinic", Required = true };
        var decisions = new Option<int>("--decisions-months") { Description = "Keep decisions this many months", DefaultValueFactory = _ => 36 };
        var consent = new Option<int>("--consent-months") { Description = "Keep consent evidence this many months after withdrawal or lapse", DefaultValueFactory = _ => 60 };
        var noCopy = new Option<bool>("--no-pseudonymised-copy") { Description = "Remove without keeping pseudonymised statistics" };
        var actor = CliDatabase.ActorOption();
        var command = new Command("set", "Set a clinic's retention periods (recorded in admin_audit)") { connection, tenant, decisions, consent, noCopy, actor };
        command.SetAction(async (parse, ct) =>
        {
            await using var db = CliDatabase.Open(parse.GetValue(connection));
            await Service(db).SetAsync(parse.GetValue(tenant)!, parse.GetValue(decisions), parse.GetValue(consent), !parse.GetValue(noCopy), parse.GetValue(actor)!, ct);
            AnsiConsole.MarkupLine($"[green]Retention of {Markup.Escape(parse.GetValue(tenant)!)}:[/] decisions {parse.GetValue(decisions)} months, consent evidence {parse.GetValue(consent)} months after end.");
            return 0;
        });
        return command;
    }
}

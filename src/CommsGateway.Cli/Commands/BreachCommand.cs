using System.CommandLine;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Audit;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw breach scope`: which patients and messages a breach window touches (GDPR art. 33/34, 72 hours).</summary>
internal static class BreachCommand
{
    public static Command Create()
    {
        var connection = CliDatabase.ConnectionOption();
        var from = new Option<DateTimeOffset>("--from") { Description = "Window start (ISO 8601)", Required = true };
        var to = new Option<DateTimeOffset>("--to") { Description = "Window end, exclusive (ISO 8601)", Required = true };
        var tenant = new Option<string?>("--tenant") { Description = "One clinic (default: all clinics)" };
        var channel = new Option<Channel?>("--channel") { Description = "email, sms or whatsapp" };
        var provider = new Option<string?>("--provider") { Description = "Provider name as recorded on dispatches (sendgrid, twilio)" };
        var reveal = new Option<bool>("--reveal") { Description = "Show contact points (needs --reason; recorded in admin_audit first)" };
        var reason = new Option<string?>("--reason") { Description = "Why contact data is revealed (incident reference)" };
        var actor = CliDatabase.ActorOption();
        var json = new Option<bool>("--json") { Description = "JSON instead of tables" };
        var scope = new Command("scope", "List the patients and messages affected by a window") { connection, from, to, tenant, channel, provider, reveal, reason, actor, json };
        scope.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(reveal) && string.IsNullOrWhiteSpace(parse.GetValue(reason)))
            {
                await Console.Error.WriteLineAsync("--reveal needs --reason \"...\" (it is recorded with who and when).");
                return 2;
            }

            await using var db = CliDatabase.Open(parse.GetValue(connection));
            var report = await new BreachScope(db).ScopeAsync(
                new BreachFilter(parse.GetValue(from), parse.GetValue(to), parse.GetValue(tenant), parse.GetValue(channel), parse.GetValue(provider)),
                parse.GetValue(reveal) ? new RevealRequest(parse.GetValue(actor)!, parse.GetValue(reason)!) : null, ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(report, CliDatabase.Json));
                return 0;
            }

            var patients = new Table().Border(TableBorder.Rounded).Title("[bold]Affected patients[/]").AddColumns("Tenant", "Patient", "Messages", "Channels");
            if (report.Revealed)
            {
                patients.AddColumns("Email", "Phone", "WhatsApp");
            }

            foreach (var p in report.Patients)
            {
                var cells = new List<string> { Markup.Escape(p.TenantId), Markup.Escape(p.PatientId ?? "(unknown)"), p.Messages.ToString(System.Globalization.CultureInfo.InvariantCulture), string.Join(", ", p.Channels) };
                if (report.Revealed)
                {
                    cells.AddRange([Markup.Escape(p.Email ?? "-"), Markup.Escape(p.Phone ?? "-"), Markup.Escape(p.WhatsApp ?? "-")]);
                }

                patients.AddRow(cells.ToArray());
            }

            var messages = new Table().Border(TableBorder.Rounded).Title("[bold]Messages[/]")
                .AddColumns("Decided (UTC)", "Tenant", "Patient", "Intent", "Channel", "Outcome", "Provider", "Dispatch", "Provider id");
            foreach (var m in report.Messages)
            {
                messages.AddRow(m.DecidedAt.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(m.TenantId),
                    Markup.Escape(m.PatientId ?? "-"), Markup.Escape(m.IntentId), m.Channel, DecisionsCommand.Colour(m.Outcome),
                    Markup.Escape(m.Provider ?? "-"), Markup.Escape(m.DispatchStatus ?? "-"), Markup.Escape(m.ProviderMessageId ?? "-"));
            }

            AnsiConsole.Write(patients);
            AnsiConsole.Write(messages);
            AnsiConsole.MarkupLine($"[bold]{report.Patients.Count}[/] patients, [bold]{report.Messages.Count}[/] messages " +
                $"([bold]{report.Messages.Count(m => m.ReachedProvider)}[/] handed to a provider) between {report.Filter.From:O} and {report.Filter.To:O}." +
                (report.Revealed ? " [yellow]Contact data revealed; recorded in admin_audit.[/]" : " Contact data hidden (--reveal --reason ... to show it)."));
            return 0;
        });
        var command = new Command("breach", "Breach support: scope the patients and messages affected");
        command.Subcommands.Add(scope);
        return command;
    }
}

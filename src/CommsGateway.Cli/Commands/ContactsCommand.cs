using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CommsGateway.Core.Contacts;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Contacts;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw contacts import &lt;csv&gt;`: loads a clinic's patients through the same directory code as the API.</summary>
internal static class ContactsCommand
{
    public static Command Create(CliEnvironment? environment = null)
    {
        var env = environment ?? CliEnvironment.Terminal;
        var file = new Argument<FileInfo>("csv")
        {
            Description = "UTF-8 CSV (RFC 4180) with a header: patient_id, first_name, last_name, email, phone, whatsapp, locale, time_zone, last_interaction_at",
        };
        var tenant = CliHost.TenantOption();
        var parallel = new Option<int>("--parallel") { Description = "Transactions (of 250 rows) written at once", DefaultValueFactory = _ => 2 };
        var actor = CliHost.ActorOption();
        var import = new Command("import", "Import contacts from CSV; rejected rows are listed with line number and reason") { file, tenant, parallel, actor };
        import.SetAction((parse, ct) => env.RunAsync(services =>
            ImportAsync(env.Console, services.GetRequiredService<ContactDirectory>(), parse.GetValue(file)!, parse.GetValue(tenant)!,
                Math.Clamp(parse.GetValue(parallel), 1, 32), Actor.Cli(parse.GetValue(actor)), ct), ct));
        return new Command("contacts", "The contact directory") { import };
    }

    /// <summary>0: all imported; 1: some rows rejected (listed); 2: the file is unusable.</summary>
    private static async Task<int> ImportAsync(IAnsiConsole console, ContactDirectory contacts, FileInfo file, string tenantId, int parallel, Actor actor, CancellationToken ct)
    {
        if (!file.Exists)
        {
            console.MarkupLine($"[red]No such file {Markup.Escape(file.FullName)}[/]");
            return 2;
        }

        var stopwatch = Stopwatch.StartNew();
        using var reader = new StreamReader(file.FullName, Encoding.UTF8);
        ContactImportResult? result = null;
        var import = new ContactCsvImport(contacts);
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                ProgressTask? task = null;
                result = await import.ImportAsync(reader, tenantId, actor, parallel, rows => task?.Increment(rows), ct,
                    started: rows => task = progress.AddTask($"Importing {rows} contacts", maxValue: Math.Max(rows, 1)));
            });
        if (result!.Unusable is { } unusable)
        {
            console.MarkupLine($"[red]{Markup.Escape(unusable)}[/]");
            return 2;
        }

        var rejected = result.Rejected.Select(r => (r.Line, r.Reason)).ToList();
        var imported = result.Imported;
        var rows = result.Rows - rejected.Count(r => r.Reason.StartsWith("unterminated", StringComparison.Ordinal) || r.Reason.StartsWith("duplicate", StringComparison.Ordinal));
        var elapsed = stopwatch.Elapsed;
        console.MarkupLine($"[green]{imported}[/] imported, [red]{rejected.Count}[/] rejected in {elapsed.TotalSeconds:F1} s " +
            $"({rows / Math.Max(elapsed.TotalSeconds, 0.001):F0} rows/s).");
        if (rejected.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Rejected rows").AddColumns("Line", "Reason");
            foreach (var (line, reason) in rejected.OrderBy(r => r.Line))
            {
                table.AddRow(line.ToString(CultureInfo.InvariantCulture), Markup.Escape(reason));
            }

            console.Write(table);
        }

        return rejected.Count == 0 ? 0 : 1;
    }
}

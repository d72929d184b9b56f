using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CommsGateway.Core.Contacts;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Contacts;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw contacts import &lt;csv&gt;`: loads a clinic's patients through the same importer as the admin API.</summary>
internal static class ContactsCommand
{
    public static Command Create(CliEnvironment? environment = null)
    {
        var env = environment ?? CliEnvironment.Terminal;
        var file = new Argument<FileInfo>("csv")
        {
            Description = "CSV with a header line: " + string.Join(", ", ContactImporter.Columns)
                + ". Separator (comma, semicolon, tab) detected; UTF-8 or UTF-16 with a byte-order mark, else UTF-8 unless --encoding",
        };
        var tenant = CliHost.TenantOption();
        var encoding = new Option<string?>("--encoding")
        {
            Description = $"The file's encoding when it is not UTF-8 and has no byte-order mark: {CsvText.EncodingNames} (a French Excel \"CSV\" export is windows-1252)",
        };
        var delimiter = new Option<string?>("--delimiter") { Description = "Field separator: , ; tab or | (default: detected from the header line)" };
        var dateFormat = new Option<string?>("--date-format")
        {
            Description = "Format of last_interaction_at when it is not ISO 8601 (yyyy-MM-dd), e.g. dd/MM/yyyy; without it 04/12/2026 is refused, not guessed",
        };
        var parallel = new Option<int>("--parallel") { Description = "Transactions (of 250 rows) written at once", DefaultValueFactory = _ => 2 };
        var actor = CliHost.ActorOption();
        var import = new Command("import", "Import contacts from CSV; rejected rows are listed with line number and reason")
        {
            file, tenant, encoding, delimiter, dateFormat, parallel, actor,
        };
        import.SetAction((parse, ct) =>
        {
            var options = new ContactImportOptions
            {
                Encoding = parse.GetValue(encoding) is { } name
                    ? CsvText.FindEncoding(name) ?? throw new CliUsageException($"--encoding: unknown encoding '{name}' (use one of {CsvText.EncodingNames})")
                    : null,
                Delimiter = parse.GetValue(delimiter) switch
                {
                    null => null,
                    "tab" or "\\t" or "\t" => '\t',
                    { Length: 1 } one when one[0] is ',' or ';' or '|' => one[0],
                    var other => throw new CliUsageException($"--delimiter: '{other}' is not one of , ; tab |"),
                },
                DateFormat = parse.GetValue(dateFormat),
                Parallelism = Math.Clamp(parse.GetValue(parallel), 1, 32),
            };
            return env.RunAsync(services => ImportAsync(env.Console, services.GetRequiredService<ContactImporter>(), parse.GetValue(file)!,
                parse.GetValue(tenant)!, options, Actor.Cli(parse.GetValue(actor)), ct), ct);
        });
        return new Command("contacts", "The contact directory") { import };
    }

    /// <summary>0: all imported; 1: some rows rejected (listed); 2: the file is unusable (nothing imported).</summary>
    private static async Task<int> ImportAsync(IAnsiConsole console, ContactImporter importer, FileInfo file, string tenantId,
        ContactImportOptions options, Actor actor, CancellationToken ct)
    {
        if (!file.Exists)
        {
            console.MarkupLine($"[red]No such file {Markup.Escape(file.FullName)}[/]");
            return 2;
        }

        var stopwatch = Stopwatch.StartNew();
        ContactImportResult result = null!;
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"Importing {Markup.Escape(file.Name)}", maxValue: 1);
                await using var stream = file.OpenRead();
                result = await importer.ImportAsync(tenantId, stream, options, actor,
                    new Progress<(int Done, int Total)>(p => (task.MaxValue, task.Value) = (Math.Max(p.Total, 1), p.Done)), ct);
                task.Value = task.MaxValue;
            });

        if (result.FileError is { } error)
        {
            console.MarkupLine($"[red]{Markup.Escape(file.Name)}: {Markup.Escape(error)}[/]; nothing was imported.");
            return 2;
        }

        var elapsed = stopwatch.Elapsed;
        var rows = result.Imported + result.Rejected.Count;
        console.MarkupLine($"[green]{result.Imported}[/] imported, [red]{result.Rejected.Count}[/] rejected in {elapsed.TotalSeconds:F1} s " +
            $"({rows / Math.Max(elapsed.TotalSeconds, 0.001):F0} rows/s).");
        if (result.Rejected.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Rejected rows").AddColumns("Line", "Reason");
            foreach (var rejected in result.Rejected)
            {
                table.AddRow(rejected.Line.ToString(CultureInfo.InvariantCulture), Markup.Escape(rejected.Reason));
            }

            console.Write(table);
        }

        return result.Rejected.Count == 0 ? 0 : 1;
    }
}

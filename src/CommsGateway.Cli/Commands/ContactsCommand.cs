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
    private static readonly string[] Known =
        ["patient_id", "first_name", "last_name", "email", "phone", "whatsapp", "locale", "time_zone", "last_interaction_at"];

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

        List<CsvRecord> records;
        using (var reader = new StreamReader(file.FullName, Encoding.UTF8))
        {
            records = [.. CsvReader.Read(reader)];
        }

        if (records.Count == 0)
        {
            console.MarkupLine("[red]Empty file[/]");
            return 2;
        }

        var header = records[0].Fields.Select(h => h.Trim().ToLowerInvariant()).ToArray();
        var index = Known.ToDictionary(k => k, k => Array.IndexOf(header, k));
        if (index["patient_id"] < 0)
        {
            console.MarkupLine("[red]The header has no patient_id column[/]");
            return 2;
        }

        var rejected = new ConcurrentBag<(int Line, string Reason)>();
        var rows = records.Skip(1).Where(r =>
        {
            if (r.Unterminated)
            {
                rejected.Add((r.Line, "unterminated quoted field (the rest of the file was read into it)"));
            }

            return !r.Unterminated;
        }).ToList();
        // A patient twice in the file: the first row counts, later ones are rejected, so the outcome never
        // depends on which batch happens to commit last.
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        var patientColumn = index["patient_id"];
        rows = rows.Where(r =>
        {
            var id = patientColumn < r.Fields.Count ? r.Fields[patientColumn].Trim() : "";
            if (id.Length > 0 && firstLine.TryGetValue(id, out var first))
            {
                rejected.Add((r.Line, $"duplicate patient_id (first at line {first})"));
                return false;
            }

            firstLine[id] = r.Line;
            return true;
        }).ToList();
        var imported = 0;
        var stopwatch = Stopwatch.StartNew();
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"Importing {rows.Count} contacts", maxValue: rows.Count);
                // Chunks of 250 rows, one transaction each, two at a time (the machine has 2 cores).
                await Parallel.ForEachAsync(rows.Chunk(250), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (chunk, token) =>
                {
                    var parsed = new List<(int Line, string PatientId, ContactInput Input)>(chunk.Length);
                    foreach (var row in chunk)
                    {
                        var fields = row.Fields;
                        string? Field(string name) => index[name] >= 0 && index[name] < fields.Count && !string.IsNullOrWhiteSpace(fields[index[name]])
                            ? fields[index[name]].Trim() : null;
                        DateTimeOffset? lastInteraction = null;
                        if (Field("last_interaction_at") is { } last)
                        {
                            if (!DateTimeOffset.TryParse(last, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                            {
                                rejected.Add((row.Line, "last_interaction_at: not a date"));
                                continue;
                            }

                            lastInteraction = at;
                        }

                        parsed.Add((row.Line, Field("patient_id") ?? "", new ContactInput
                        {
                            FirstName = Field("first_name"), LastName = Field("last_name"), Email = Field("email"), Phone = Field("phone"),
                            WhatsApp = Field("whatsapp"), Locale = Field("locale"), TimeZone = Field("time_zone"), LastInteractionAt = lastInteraction,
                        }));
                    }

                    var refused = await contacts.ImportAsync(tenantId, parsed, actor, token);
                    foreach (var (line, errors) in refused)
                    {
                        rejected.Add((line, string.Join("; ", errors)));
                    }

                    Interlocked.Add(ref imported, parsed.Count - refused.Count);
                    task.Increment(chunk.Length);
                });
            });

        var elapsed = stopwatch.Elapsed;
        console.MarkupLine($"[green]{imported}[/] imported, [red]{rejected.Count}[/] rejected in {elapsed.TotalSeconds:F1} s " +
            $"({rows.Count / Math.Max(elapsed.TotalSeconds, 0.001):F0} rows/s).");
        if (!rejected.IsEmpty)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Rejected rows").AddColumns("Line", "Reason");
            foreach (var (line, reason) in rejected.OrderBy(r => r.Line))
            {
                table.AddRow(line.ToString(CultureInfo.InvariantCulture), Markup.Escape(reason));
            }

            console.Write(table);
        }

        return rejected.IsEmpty ? 0 : 1;
    }
}

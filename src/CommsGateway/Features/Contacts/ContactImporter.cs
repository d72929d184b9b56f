using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Contacts;
using CommsGateway.Features.Admin;
using Sylvan.Data.Csv;

namespace CommsGateway.Features.Contacts;

/// <summary>How to read an imported file; every field may stay null (detected, or ISO 8601 only).</summary>
public sealed record ContactImportOptions
{
    /// <summary>The file's encoding when it has no byte-order mark; null: UTF-8, and a file that is not is refused.</summary>
    public Encoding? Encoding { get; init; }

    /// <summary>The field separator; null: detected from the header line (comma, semicolon, tab, pipe).</summary>
    public char? Delimiter { get; init; }

    /// <summary>A .NET date format for last_interaction_at besides ISO 8601 (e.g. dd/MM/yyyy); null: ISO 8601 only.</summary>
    public string? DateFormat { get; init; }

    /// <summary>Transactions written at once (rows are written in batches of <see cref="ContactImporter.BatchSize"/>).</summary>
    public int Parallelism { get; init; } = 2;
}

/// <summary>A row not imported: its line in the file (the first line of a record spanning several) and why.</summary>
public sealed record ContactImportRejection(int Line, string Reason);

/// <summary>
/// The outcome of an import: rows written, rows refused, or a file that could not be read at all
/// (<see cref="FileError"/>: nothing was written).
/// </summary>
public sealed record ContactImportResult(int Imported, IReadOnlyList<ContactImportRejection> Rejected, string? FileError = null)
{
    public bool FileRefused => FileError is not null;
}

/// <summary>
/// CSV contact import, for the CLI and the admin API alike: decodes (<see cref="CsvText"/>), parses with Sylvan.Data.Csv
/// (RFC 4180 quoting, delimiter detection), reads dates strictly (<see cref="ImportDates"/>), and writes through
/// <see cref="ContactDirectory.ImportAsync"/> (the same normalisation and SQL as a single contact).
/// </summary>
public sealed class ContactImporter(ContactDirectory contacts)
{
    public const int BatchSize = 250;

    public static readonly IReadOnlyList<string> Columns =
        ["patient_id", "first_name", "last_name", "email", "phone", "whatsapp", "locale", "time_zone", "last_interaction_at"];

    /// <summary>
    /// Imports <paramref name="csv"/> (a header line, then one patient per record) into <paramref name="tenantId"/>'s
    /// directory. <paramref name="progress"/> gets the rows written or refused so far, of how many.
    /// </summary>
    public async Task<ContactImportResult> ImportAsync(string tenantId, Stream csv, ContactImportOptions options, Actor actor,
        IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(actor);
        using var buffer = new MemoryStream();
        await csv.CopyToAsync(buffer, ct);
        var decoded = CsvText.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), options.Encoding);
        if (!decoded.Ok)
        {
            return new(0, [], decoded.Error);
        }

        var (rows, rejected, fileError) = Read(decoded.Text!, options);
        if (fileError is not null)
        {
            return new(0, [], fileError);
        }

        var imported = 0;
        var done = 0;
        await Parallel.ForEachAsync(rows.Chunk(BatchSize), new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(options.Parallelism, 1, 32), CancellationToken = ct },
            async (chunk, token) =>
            {
                var refused = await contacts.ImportAsync(tenantId, chunk, actor, token);
                lock (rejected)
                {
                    rejected.AddRange(refused.Select(r => new ContactImportRejection(r.Line, string.Join("; ", r.Errors))));
                }

                Interlocked.Add(ref imported, chunk.Length - refused.Count);
                progress?.Report((Interlocked.Add(ref done, chunk.Length), rows.Count));
            });

        return new(imported, [.. rejected.OrderBy(r => r.Line)], null);
    }

    /// <summary>Parses the text into contact rows (first occurrence of a patient wins) and the records refused on the way.</summary>
    private static (List<(int Line, string PatientId, ContactDetails Input)> Rows, List<ContactImportRejection> Rejected, string? FileError) Read(
        string text, ContactImportOptions options)
    {
        var rows = new List<(int, string, ContactDetails)>();
        var rejected = new List<ContactImportRejection>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return (rows, rejected, "the file is empty");
        }

        using var reader = CsvDataReader.Create(new StringReader(text), new CsvDataReaderOptions
        {
            HasHeaders = true,
            Delimiter = options.Delimiter,
            HeaderComparer = StringComparer.OrdinalIgnoreCase,
        });
        var index = Columns.ToDictionary(c => c, c => Enumerable.Range(0, reader.FieldCount).FirstOrDefault(i => reader.GetName(i).Trim().Equals(c, StringComparison.OrdinalIgnoreCase), -1));
        if (index["patient_id"] < 0)
        {
            var seen = string.Join(", ", Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
            return (rows, rejected, $"the header has no patient_id column (columns read: {seen})");
        }

        // Physical line of each record: a quoted field may hold line breaks, and a refusal must name the line an editor shows.
        var line = 1 + Enumerable.Range(0, reader.FieldCount).Sum(i => NewLines(reader.GetName(i)));
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        while (true)
        {
            line++;
            try
            {
                if (!reader.Read())
                {
                    break;
                }
            }
            catch (CsvFormatException e)
            {
                rejected.Add(new(line, "unterminated quoted field (the rest of the file was read into it): " + e.Message));
                break;
            }

            var values = Enumerable.Range(0, reader.RowFieldCount).Select(reader.GetString).ToArray();
            var recordLine = line;
            line += values.Sum(NewLines);
            if (values.All(string.IsNullOrWhiteSpace))
            {
                continue; // a blank line
            }

            string? Field(string name) => index[name] is var i && i >= 0 && i < values.Length && !string.IsNullOrWhiteSpace(values[i]) ? values[i].Trim() : null;
            var patientId = Field("patient_id") ?? "";
            if (patientId.Length > 0 && firstLine.TryGetValue(patientId, out var first))
            {
                rejected.Add(new(recordLine, $"duplicate patient_id (first at line {first})"));
                continue;
            }

            firstLine[patientId] = recordLine;
            DateTimeOffset? lastInteraction = null;
            if (Field("last_interaction_at") is { } last)
            {
                var (at, error) = ImportDates.Parse(last, options.DateFormat);
                if (error is not null)
                {
                    rejected.Add(new(recordLine, "last_interaction_at: " + error));
                    continue;
                }

                lastInteraction = at;
            }

            rows.Add((recordLine, patientId, new ContactDetails
            {
                FirstName = Field("first_name"), LastName = Field("last_name"), Email = Field("email"), Phone = Field("phone"),
                WhatsApp = Field("whatsapp"), Locale = Field("locale"), TimeZone = Field("time_zone"), LastInteractionAt = lastInteraction,
            }));
        }

        return (rows, rejected, null);
    }

    private static int NewLines(string value) => value.AsSpan().Count('\n') + (value.Contains('\r', StringComparison.Ordinal) && !value.Contains('\n', StringComparison.Ordinal) ? value.AsSpan().Count('\r') : 0);
}

using System.Collections.Concurrent;
using System.Globalization;
using CommsGateway.Core.Contacts;
using CommsGateway.Features.Admin;

namespace CommsGateway.Features.Contacts;

/// <summary>What a CSV import did: rows written, rows refused (line as an editor numbers it, reason), or why the file is unusable.</summary>
public sealed record ContactImportResult(int Imported, IReadOnlyList<ContactImportRejection> Rejected, string? Unusable = null)
{
    /// <summary>Rows in the file besides the header (imported + rejected).</summary>
    public int Rows => Imported + Rejected.Count;
}

public sealed record ContactImportRejection(int Line, string Reason);

/// <summary>
/// The CSV contact import behind `commsgw contacts import` and <c>POST /api/contacts/import</c>: RFC 4180 (quoted
/// commas, "" and line breaks), a header naming the columns (others ignored), a patient twice counts at its first
/// line, rows written 250 per transaction through <see cref="ContactDirectory.ImportAsync"/>.
/// </summary>
public sealed class ContactCsvImport(ContactDirectory contacts)
{
    public static readonly IReadOnlyList<string> Columns =
        ["patient_id", "first_name", "last_name", "email", "phone", "whatsapp", "locale", "time_zone", "last_interaction_at"];

    /// <param name="progress">Called with the number of rows of each batch once it is written.</param>
    public async Task<ContactImportResult> ImportAsync(TextReader csv, string tenantId, Actor actor, int parallel, Action<int>? progress,
        CancellationToken ct, Action<int>? started = null)
    {
        ArgumentNullException.ThrowIfNull(csv);
        List<CsvRecord> records = [.. CsvReader.Read(csv)];
        if (records.Count == 0)
        {
            return new ContactImportResult(0, [], "Empty file");
        }

        var header = records[0].Fields.Select(h => h.Trim().ToLowerInvariant()).ToArray();
        var index = Columns.ToDictionary(k => k, k => Array.IndexOf(header, k));
        if (index["patient_id"] < 0)
        {
            return new ContactImportResult(0, [], "The header has no patient_id column");
        }

        var rejected = new ConcurrentBag<ContactImportRejection>();
        var rows = records.Skip(1).Where(r =>
        {
            if (r.Unterminated)
            {
                rejected.Add(new(r.Line, "unterminated quoted field (the rest of the file was read into it)"));
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
                rejected.Add(new(r.Line, $"duplicate patient_id (first at line {first})"));
                return false;
            }

            firstLine[id] = r.Line;
            return true;
        }).ToList();

        started?.Invoke(rows.Count);
        var imported = 0;
        // Chunks of 250 rows, one transaction each, `parallel` at a time.
        await Parallel.ForEachAsync(rows.Chunk(250), new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(parallel, 1, 32), CancellationToken = ct }, async (chunk, token) =>
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
                        rejected.Add(new(row.Line, "last_interaction_at: not a date"));
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
                rejected.Add(new(line, string.Join("; ", errors)));
            }

            Interlocked.Add(ref imported, parsed.Count - refused.Count);
            progress?.Invoke(chunk.Length);
        });

        return new ContactImportResult(imported, [.. rejected.OrderBy(r => r.Line)]);
    }
}

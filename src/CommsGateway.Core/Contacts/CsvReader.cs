using System.Text;

namespace CommsGateway.Core.Contacts;

/// <summary>One CSV record: the physical line it starts on (1-based), its fields, and whether a quote was left open.</summary>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields, bool Unterminated = false);

/// <summary>
/// RFC 4180 records: comma-separated fields, double-quoted fields may hold commas, line breaks and "" escapes.
/// Reading record by record (not line by line) keeps a quoted multi-line field (an address, a note) in its row,
/// and numbers each record by the line it starts on, as an editor shows it. Blank lines are skipped.
/// </summary>
public static class CsvReader
{
    public static IEnumerable<CsvRecord> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var fields = new List<string>();
        var field = new StringBuilder();
        var (line, start, quoted, wasQuoted) = (1, 1, false, false);
        int next;
        while ((next = reader.Read()) >= 0)
        {
            var c = (char)next;
            if (quoted)
            {
                if (c == '"' && reader.Peek() == '"')
                {
                    field.Append('"');
                    reader.Read();
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    line += c == '\n' ? 1 : 0;
                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    (quoted, wasQuoted) = (true, true);
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r' when reader.Peek() == '\n':
                    break;
                case '\r' or '\n':
                    if (EndRecord() is { } record)
                    {
                        yield return record;
                    }

                    start = ++line;
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }

        if (EndRecord(unterminated: quoted) is { } last)
        {
            yield return last;
        }

        CsvRecord? EndRecord(bool unterminated = false)
        {
            fields.Add(field.ToString());
            field.Clear();
            var blank = fields.Count == 1 && string.IsNullOrWhiteSpace(fields[0]) && !wasQuoted;
            var record = blank ? null : new CsvRecord(start, [.. fields], unterminated);
            fields.Clear();
            wasQuoted = false;
            return record;
        }
    }

    /// <summary>The records of a string (a header line, a test).</summary>
    public static IReadOnlyList<CsvRecord> Parse(string text)
    {
        using var reader = new StringReader(text);
        return [.. Read(reader)];
    }
}

using System.Globalization;
using System.Text;

namespace CommsGateway.Core.Contacts;

/// <summary>A CSV file's bytes as text, or why they cannot be read as the encoding said or detected.</summary>
public readonly record struct DecodedText(string? Text, string? Error)
{
    public bool Ok => Error is null;
}

/// <summary>
/// Decodes an uploaded CSV file. A byte-order mark decides (UTF-8, UTF-16 LE/BE); else the encoding the caller
/// names; else strict UTF-8. Invalid UTF-8 is refused naming its line, never decoded as U+FFFD ("Ren�"): a
/// French Excel export is Windows-1252, and the operator says so (--encoding windows-1252) rather than us guessing.
/// </summary>
public static class CsvText
{
    static CsvText() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance); // windows-1252 and the other code pages

    /// <summary>Names accepted for an explicit encoding (besides any name .NET knows).</summary>
    public const string EncodingNames = "utf-8, windows-1252, latin1 (iso-8859-1), utf-16";

    /// <summary>The encoding called <paramref name="name"/>, or null when no such encoding exists.</summary>
    public static Encoding? FindEncoding(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            return name.Trim().ToLowerInvariant() switch
            {
                "utf8" or "utf-8" => new UTF8Encoding(false, throwOnInvalidBytes: true),
                "latin1" or "latin-1" => Encoding.Latin1,
                "cp1252" => Encoding.GetEncoding(1252),
                var other => Encoding.GetEncoding(other),
            };
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public static DecodedText Decode(ReadOnlySpan<byte> bytes, Encoding? encoding = null)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return Utf8(bytes[3..]);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return new(Encoding.Unicode.GetString(bytes[2..]), null);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return new(Encoding.BigEndianUnicode.GetString(bytes[2..]), null);
        }

        return encoding is null || encoding.CodePage == Encoding.UTF8.CodePage ? Utf8(bytes) : new(encoding.GetString(bytes), null);
    }

    private static DecodedText Utf8(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                var line = bytes[..offset].Count((byte)'\n') + 1;
                return new(null, string.Create(CultureInfo.InvariantCulture,
                    $"line {line} is not valid UTF-8 (byte 0x{bytes[offset]:X2}): the file is in another encoding, e.g. a Windows-1252 (Latin-1) Excel export; save it as \"CSV UTF-8\" or name its encoding (--encoding windows-1252)"));
            }

            offset += consumed;
        }

        return new(Encoding.UTF8.GetString(bytes), null);
    }

    /// <summary>
    /// One CSV cell as written by every export: RFC 4180 quoting, and a cell a spreadsheet would run as a formula
    /// (starting with = + - @, tab or carriage return) prefixed with an apostrophe (OWASP CSV injection).
    /// </summary>
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        var safe = value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
        return safe.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : safe;
    }
}

/// <summary>
/// Dates in an imported file: ISO 8601 always; another layout only when the operator names it. "04/12/2026" is
/// 4 December in France and 12 April in the US: without a named format it is refused, never guessed.
/// </summary>
public static class ImportDates
{
    private static readonly string[] Iso =
    [
        "yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss",
    ];

    /// <summary>The instant <paramref name="raw"/> names (UTC unless it carries an offset), or why not.</summary>
    public static (DateTimeOffset? Value, string? Error) Parse(string raw, string? format)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var text = raw.Trim();
        const DateTimeStyles styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (DateTimeOffset.TryParseExact(text, Iso, CultureInfo.InvariantCulture, styles, out var iso))
        {
            return (iso, null);
        }

        if (format is not null)
        {
            return DateTimeOffset.TryParseExact(text, format, CultureInfo.InvariantCulture, styles, out var named)
                ? (named, null)
                : (null, $"'{text}' is neither ISO 8601 (yyyy-MM-dd) nor in the format {format}");
        }

        return (null, $"'{text}' is not an ISO 8601 date (yyyy-MM-dd): name the file's format to read it (--date-format dd/MM/yyyy for 04/12/2026 as 4 December)");
    }
}

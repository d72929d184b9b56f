using System.Text;
using CommsGateway.Core.Contacts;

namespace CommsGateway.Core.Tests.Contacts;

public sealed class CsvTextTests
{
    private const string Text = "patient_id;first_name\np-1;René\np-2;Zoé\n";

    [Fact]
    public void Should_read_utf8_with_or_without_a_byte_order_mark()
    {
        Assert.Equal(Text, CsvText.Decode(Encoding.UTF8.GetBytes(Text)).Text);
        Assert.Equal(Text, CsvText.Decode([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Text)]).Text);
    }

    [Fact]
    public void Should_read_utf16_by_its_byte_order_mark_whatever_encoding_is_named()
    {
        Assert.Equal(Text, CsvText.Decode([0xFF, 0xFE, .. Encoding.Unicode.GetBytes(Text)], Encoding.Latin1).Text);
        Assert.Equal(Text, CsvText.Decode([0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes(Text)]).Text);
    }

    [Fact]
    public void Should_refuse_a_windows_1252_file_read_as_utf8_naming_the_line_and_read_it_when_named()
    {
        var bytes = CsvText.FindEncoding("windows-1252")!.GetBytes(Text);

        var refused = CsvText.Decode(bytes);
        var named = CsvText.Decode(bytes, CsvText.FindEncoding("windows-1252"));

        Assert.Null(refused.Text);
        Assert.StartsWith("line 2 is not valid UTF-8 (byte 0xE9)", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--encoding windows-1252", refused.Error, StringComparison.Ordinal);
        Assert.Equal(Text, named.Text);
        Assert.DoesNotContain('\uFFFD', named.Text!);
    }

    [Fact]
    public void Should_know_the_encodings_the_help_names_and_not_others()
    {
        Assert.All(["utf-8", "windows-1252", "cp1252", "latin1", "iso-8859-1", "utf-16"], name => Assert.NotNull(CsvText.FindEncoding(name)));
        Assert.Null(CsvText.FindEncoding("klingon-1"));
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+33612345678", "'+33612345678")]
    [InlineData("-1", "'-1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tcmd", "'\tcmd")]
    [InlineData("\rcmd", "\"'\rcmd\"")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("a;b", "a;b")]
    [InlineData("p-1", "p-1")]
    [InlineData("", "")]
    public void Should_write_a_cell_quoted_and_never_as_a_formula(string value, string expected) => Assert.Equal(expected, CsvText.Cell(value));
}

public sealed class ImportDatesTests
{
    [Theory]
    [InlineData("2026-12-04", null, "2026-12-04T00:00:00+00:00")]
    [InlineData("2026-12-04T10:30:00+01:00", null, "2026-12-04T09:30:00+00:00")]
    [InlineData("2026-12-04 10:30", null, "2026-12-04T10:30:00+00:00")]
    [InlineData("04/12/2026", "dd/MM/yyyy", "2026-12-04T00:00:00+00:00")]
    [InlineData("04/12/2026", "MM/dd/yyyy", "2026-04-12T00:00:00+00:00")]
    [InlineData("2026-12-04", "dd/MM/yyyy", "2026-12-04T00:00:00+00:00")] // ISO is always read
    public void Should_read_iso_8601_and_the_named_format(string raw, string? format, string expected)
    {
        var (value, error) = ImportDates.Parse(raw, format);

        Assert.Null(error);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Fact]
    public void Should_refuse_an_ambiguous_date_without_a_named_format_instead_of_guessing()
    {
        var (value, error) = ImportDates.Parse("04/12/2026", null);

        Assert.Null(value);
        Assert.Contains("'04/12/2026' is not an ISO 8601 date", error, StringComparison.Ordinal);
        Assert.Contains("--date-format dd/MM/yyyy", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_date_in_neither_iso_nor_the_named_format()
    {
        var (value, error) = ImportDates.Parse("yesterday-ish", "dd/MM/yyyy");

        Assert.Null(value);
        Assert.Equal("'yesterday-ish' is neither ISO 8601 (yyyy-MM-dd) nor in the format dd/MM/yyyy", error);
    }
}

using CommsGateway.Core.Contacts;

namespace CommsGateway.Core.Tests.Contacts;

public sealed class CsvReaderTests
{
    [Fact]
    public void Should_keep_a_quoted_field_with_line_breaks_in_its_record_and_number_records_by_their_first_line()
    {
        var records = CsvReader.Parse("patient_id,notes\r\np-1,\"first line\r\nsecond, with comma\"\r\n\r\np-2,\"say \"\"hi\"\"\"\np-3,plain\n");

        Assert.Equal([1, 2, 5, 6], records.Select(r => r.Line));
        Assert.Equal(["p-1", "first line\r\nsecond, with comma"], records[1].Fields);
        Assert.Equal(["p-2", "say \"hi\""], records[2].Fields);
        Assert.Equal(["p-3", "plain"], records[3].Fields);
        Assert.All(records, r => Assert.False(r.Unterminated));
    }

    [Theory]
    [InlineData("a,,c", new[] { "a", "", "c" })]
    [InlineData("a,\"\",c", new[] { "a", "", "c" })]
    [InlineData("\"a,b\",c", new[] { "a,b", "c" })]
    [InlineData(",", new[] { "", "" })]
    [InlineData("\"\"", new[] { "" })]
    public void Should_split_fields_as_RFC_4180_says(string line, string[] expected)
    {
        Assert.Equal(expected, Assert.Single(CsvReader.Parse(line)).Fields);
    }

    [Fact]
    public void Should_skip_blank_lines_and_flag_a_quote_left_open()
    {
        var records = CsvReader.Parse("\n  \np-1,ok\np-2,\"never closed\np-3,swallowed");

        Assert.Equal([3, 4], records.Select(r => r.Line));
        Assert.False(records[0].Unterminated);
        Assert.True(records[1].Unterminated);
        Assert.Equal(["p-2", "never closed\np-3,swallowed"], records[1].Fields);
    }
}

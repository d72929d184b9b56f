using CommsGateway.Core.Contacts;

namespace CommsGateway.Core.Tests.Contacts;

public sealed class AddressNormalizerTests
{
    public static TheoryData<string, string, string?, string?> Phones => new()
    {
        { "06 12 34 56 78", "FR", "+33612345678", null },
        { "+33 6 12 34 56 78", "FR", "+33612345678", null },
        { "0033 6.12.34.56.78", "FR", "+33612345678", null },
        { "07911 123456", "GB", "+447911123456", null },
        { "+44 7911 123456", "FR", "+447911123456", null },
        { "not a phone", "FR", null, "not a number" },
        { "12", "FR", null, "phone number" },
        { "06 12 34", "FR", null, "not a valid number for FR" },
        // Written with its country code, a number is read for its own country whatever the clinic's region: the UK's
        // drama range (07700 900xxx) is outside libphonenumber's mobile ranges but has a UK mobile's length.
        { "+44 7700 900123", "FR", "+447700900123", null },
        { "0044 7700 900123", "DE", "+447700900123", null },
        { "+44 123", "FR", null, "not a possible number for +44 (GB)" },
        { "07700 900123", "FR", null, "with its country code" },
    };

    [Theory]
    [MemberData(nameof(Phones))]
    public void Should_normalise_phones_to_E164_or_say_why_not(string raw, string region, string? expected, string? errorFragment)
    {
        var result = AddressNormalizer.Phone(raw, region);

        Assert.Equal(expected, result.Value);
        if (errorFragment is null)
        {
            Assert.Null(result.Error);
        }
        else
        {
            Assert.Contains(errorFragment, result.Error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Claire.Dupont@Example.FR", "claire.dupont@example.fr")]
    [InlineData("  a+tag@clinic.co.uk ", "a+tag@clinic.co.uk")]
    [InlineData("no-at-sign.example.com", null)]
    [InlineData("two@@example.com", null)]
    [InlineData("a@localhost", null)]
    [InlineData("Claire <claire@example.fr>", null)]
    [InlineData("claire @example.fr", null)]
    [InlineData("claire@example..fr", null)]
    public void Should_validate_email_syntax(string raw, string? expected)
    {
        var result = AddressNormalizer.Email(raw);

        Assert.Equal(expected, result.Value);
        Assert.Equal(expected is null, result.Error is not null);
    }

    [Fact]
    public void Should_treat_blank_as_absent_not_invalid()
    {
        Assert.True(AddressNormalizer.Phone("  ").Ok);
        Assert.Null(AddressNormalizer.Email(null).Value);
    }
}

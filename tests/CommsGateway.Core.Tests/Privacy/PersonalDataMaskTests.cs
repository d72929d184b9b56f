using CommsGateway.Core.Privacy;

namespace CommsGateway.Core.Tests.Privacy;

public sealed class PersonalDataMaskTests
{
    [Theory]
    [InlineData("to jane.doe@example.com now", "to [email] now")]
    [InlineData("to J.Doe+promo@mail.clinique-lyon.fr.", "to [email].")]
    [InlineData("sms +33612345678 queued", "sms [phone] queued")]
    [InlineData("sms +33 6 12 34 56 78 queued", "sms [phone] queued")]
    [InlineData("sms +33 (0)6 12 34 56 78", "sms [phone]")]
    [InlineData("call 06 12 34 56 78, ok", "call [phone], ok")]
    [InlineData("call 06.12.34.56.78", "call [phone]")]
    [InlineData("call 0612345678", "call [phone]")]
    [InlineData("uk 07700 900123 and 020 7946 0958", "uk [phone] and [phone]")]
    [InlineData("uk +44 7700 900123", "uk [phone]")]
    [InlineData("intl 0033612345678", "intl [phone]")]
    [InlineData("Twilio error for whatsapp:+447700900123", "Twilio error for whatsapp:[phone]")]
    [InlineData("both a@b.co and +4915112345678", "both [email] and [phone]")]
    public void Should_mask_addresses_and_numbers(string input, string expected) =>
        Assert.Equal(expected, PersonalDataMask.Mask(input));

    [Theory]
    [InlineData("Decided demo-1700000000-reminder for tenant t-1: Sent (none)")]
    [InlineData("decision 0190d8a4-5b7c-7e21-9a33-0c1d2e3f4a5b at 2025-06-01T10:30:00.0000000Z")]
    [InlineData("took 1.0012345678 s, seq 123456789, port 5672")]
    [InlineData("version 10.0.14 on 127.0.0.1:5432")]
    [InlineData("short")]
    [InlineData("not an address: user@localhost")]
    public void Should_leave_ids_times_and_numbers_intact(string input) =>
        Assert.Equal(input, PersonalDataMask.Mask(input));

    [Fact]
    public void Should_report_whether_text_holds_personal_data()
    {
        Assert.True(PersonalDataMask.ContainsPersonalData("x jane@example.org"));
        Assert.False(PersonalDataMask.ContainsPersonalData("seq 42 decided"));
    }
}

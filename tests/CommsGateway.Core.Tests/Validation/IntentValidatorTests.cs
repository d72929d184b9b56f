using CommsGateway.Contracts;
using CommsGateway.Core.Validation;

namespace CommsGateway.Core.Tests.Validation;

public sealed class IntentValidatorTests
{
    private static readonly MessageIntent Valid = new()
    {
        IntentId = "i-1", TenantId = "t-1", PatientId = "p-1", Channel = Channel.Sms,
        DeclaredPurpose = Purpose.Service, Category = "appointment_reminder", Body = "Reminder: tomorrow 10:30.",
    };

    [Fact]
    public void Should_accept_a_complete_intent() => Assert.Empty(IntentValidator.Validate(Valid));

    public static TheoryData<string, MessageIntent, string, string> Invalid => new()
    {
        { "missing intent id", Valid with { IntentId = "" }, "intentId", ReasonCodes.MissingField },
        { "missing tenant", Valid with { TenantId = " " }, "tenantId", ReasonCodes.MissingField },
        { "missing patient", Valid with { PatientId = "" }, "patientId", ReasonCodes.MissingField },
        { "unknown channel", Valid with { Channel = Channel.Unknown }, "channel", ReasonCodes.UnknownChannel },
        { "empty body", Valid with { Body = "" }, "body", ReasonCodes.MissingField },
        { "sms over 1600", Valid with { Body = new string('x', 1601) }, "body", ReasonCodes.BodyTooLarge },
        { "whatsapp over 4096", Valid with { Channel = Channel.WhatsApp, Body = new string('x', 4097) }, "body", ReasonCodes.BodyTooLarge },
        { "email 2 MB", Valid with { Channel = Channel.Email, Subject = "s", Body = new string('x', 2 * 1024 * 1024) }, "body", ReasonCodes.BodyTooLarge },
        { "email without subject", Valid with { Channel = Channel.Email }, "subject", ReasonCodes.MissingField },
        { "html on sms", Valid with { Html = "<p>x</p>" }, "html", ReasonCodes.InvalidField },
        { "id too long", Valid with { IntentId = new string('i', 201) }, "intentId", ReasonCodes.InvalidField },
        { "control chars in id", Valid with { TenantId = "t\u0000" }, "tenantId", ReasonCodes.InvalidField },
        { "block without kind", Valid with { Blocks = [new ContentBlock { Text = "x" }] }, "blocks[0].kind", ReasonCodes.InvalidField },
        { "expiry before start", Valid with { NotBefore = DateTimeOffset.UnixEpoch.AddDays(2), ExpiresAt = DateTimeOffset.UnixEpoch.AddDays(1) }, "expiresAt", ReasonCodes.InvalidField },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Should_name_the_field_and_code(string because, MessageIntent intent, string field, string code)
    {
        var errors = IntentValidator.Validate(intent);
        Assert.True(errors.Any(e => e.Field == field && e.Code == code), $"{because}: got {string.Join("; ", errors)}");
    }

    [Fact]
    public void Should_report_every_problem_at_once()
    {
        var errors = IntentValidator.Validate(new MessageIntent());
        Assert.Equal(["body", "channel", "intentId", "patientId", "tenantId"], errors.Select(e => e.Field).Order());
    }
}

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
        { "right-to-left override in patient id", Valid with { PatientId = "p-1\u202Etxt.exe" }, "patientId", ReasonCodes.InvalidField },
        { "left-to-right isolate in tenant id", Valid with { TenantId = "t-\u20661" }, "tenantId", ReasonCodes.InvalidField },
        { "zero-width space in intent id", Valid with { IntentId = "i\u200B-1" }, "intentId", ReasonCodes.InvalidField },
        { "zero-width joiner in patient id", Valid with { PatientId = "p\u200D1" }, "patientId", ReasonCodes.InvalidField },
        { "byte order mark in tenant id", Valid with { TenantId = "\uFEFFt-1" }, "tenantId", ReasonCodes.InvalidField },
        { "bidi override in campaign id", Valid with { CampaignId = "cmp-\u202D1" }, "campaignId", ReasonCodes.InvalidField },
        { "newline in campaign id", Valid with { CampaignId = "cmp\n1" }, "campaignId", ReasonCodes.InvalidField },
        { "empty campaign id", Valid with { CampaignId = "" }, "campaignId", ReasonCodes.MissingField },
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
    public void Should_accept_accented_and_non_latin_identifiers() =>
        Assert.Empty(IntentValidator.Validate(Valid with { PatientId = "patiente-éloïse-李", TenantId = "clinique-été", CampaignId = "cmp-été-2026" }));

    private static readonly DateTimeOffset Now = new(2026, 12, 4, 20, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Should_refuse_a_not_before_in_year_9999()
    {
        var errors = IntentValidator.Validate(Valid with { NotBefore = new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero) }, Now,
            IntentValidator.DefaultNotBeforeHorizon);
        var error = Assert.Single(errors);
        Assert.Equal(("notBefore", ReasonCodes.InvalidField), (error.Field, error.Code));
        Assert.Contains("400 days", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(399, true)]
    [InlineData(400, true)]
    [InlineData(401, false)]
    public void Should_accept_a_not_before_up_to_the_horizon(int days, bool accepted) =>
        Assert.Equal(accepted, IntentValidator.Validate(Valid with { NotBefore = Now.AddDays(days) }, Now, IntentValidator.DefaultNotBeforeHorizon).Count == 0);

    [Fact]
    public void Should_use_the_configured_horizon() =>
        Assert.NotEmpty(IntentValidator.Validate(Valid with { NotBefore = Now.AddDays(31) }, Now, TimeSpan.FromDays(30)));

    [Fact]
    public void Should_report_every_problem_at_once()
    {
        var errors = IntentValidator.Validate(new MessageIntent());
        Assert.Equal(["body", "channel", "intentId", "patientId", "tenantId"], errors.Select(e => e.Field).Order());
    }
}

using System.Net;
using CommsGateway.Contracts;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Webhooks;
using CommsGateway.Features.Admin;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Admin;

/// <summary>
/// Each clinic sends as itself: its identity is stored with it, a channel without one is Blocked NoSenderIdentity
/// before anything reaches a provider (never another clinic's name), and a change applies to the next decision.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SenderIdentityTests(GatewayFixture gateway)
{
    private const string PublicUrl = "http://127.0.0.1:5080/webhooks/twilio/inbound";

    private TenantDirectory Tenants => gateway.Services.GetRequiredService<TenantDirectory>();

    /// <summary>A clinic created with exactly this sender (nothing borrowed from the test default).</summary>
    private async Task<string> ClinicAsync(string name, ClinicSender sender, string? helpContact = null)
    {
        var tenant = Seed.NewTenant();
        await Tenants.AddTenantAsync(tenant, name, new Dictionary<string, object?>(), sender, "tests", new Actor("test"), CancellationToken.None, helpContact);
        return tenant;
    }

    /// <summary>What the fake provider accepted for the intent (the send follows the decision row).</summary>
    private async Task<FakeProviders.AcceptedMessage> AcceptedAsync(string intentId)
    {
        await gateway.WaitForDecidedAsync(intentId);
        return Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intentId);
    }

    private static string NewNumber() => "+3375" + Random.Shared.Next(1_000_000, 9_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Should_block_a_clinic_without_its_own_email_sender_and_send_another_clinic_as_itself()
    {
        var lilas = await ClinicAsync("Clinique des Lilas", new ClinicSender
        {
            EmailFrom = "rdv@lilas.example", EmailFromName = "Clinique des Lilas", ReplyTo = "accueil@lilas.example",
        });
        var roses = await ClinicAsync("Cabinet des Roses", new ClinicSender { SmsFrom = NewNumber() }); // no email identity
        var (p1, p2) = (Seed.NewPatient(), Seed.NewPatient());
        await Seed.PatientAsync(gateway, lilas, p1, Seed.NewEmail(), Seed.NewMobile());
        await Seed.PatientAsync(gateway, roses, p2, Seed.NewEmail(), Seed.NewMobile());
        var fromLilas = Seed.Service(lilas, p1, Channel.Email);
        var fromRoses = Seed.Service(roses, p2, Channel.Email);

        var sent = await Seed.DecideAsync(gateway, fromLilas);
        var blocked = await Seed.DecideAsync(gateway, fromRoses);

        Assert.Equal("Sent", sent.Outcome);
        var mail = await AcceptedAsync(fromLilas.IntentId);
        Assert.Equal(("rdv@lilas.example", "Clinique des Lilas", "accueil@lilas.example"), (mail.From, mail.FromName, mail.ReplyTo));
        Assert.Equal("Blocked", blocked.Outcome);
        Assert.Equal([ReasonCodes.NoSenderIdentity], blocked.Reasons);
        Assert.Contains(blocked.Details, d => d.Contains("no sender identity for email", StringComparison.Ordinal));
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == fromRoses.IntentId);
    }

    [Fact]
    public async Task Should_use_a_sender_stored_later_for_the_next_decision_without_a_restart()
    {
        var clinic = await ClinicAsync("Cabinet Iris", ClinicSender.None);
        var patient = Seed.NewPatient();
        await Seed.PatientAsync(gateway, clinic, patient, Seed.NewEmail(), Seed.NewMobile());
        var before = await Seed.DecideAsync(gateway, Seed.Service(clinic, patient, Channel.Sms));
        var number = NewNumber();

        var update = await Tenants.UpdateIdentityAsync(clinic, new Dictionary<string, string?> { ["sms_from"] = number }, new Actor("test"), CancellationToken.None);
        var after = Seed.Service(clinic, patient, Channel.Sms);
        var decided = await Seed.DecideAsync(gateway, after);

        Assert.Equal([ReasonCodes.NoSenderIdentity], before.Reasons);
        Assert.True(update.Ok);
        Assert.Equal("Sent", decided.Outcome);
        Assert.Equal(number, (await AcceptedAsync(after.IntentId)).From);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select count(*) from admin_audit where tenant_id = @clinic and action = 'tenant.sender'", new { clinic }));
    }

    [Fact]
    public async Task Should_refuse_an_invalid_sender_field_and_store_nothing()
    {
        var clinic = await ClinicAsync("Cabinet Iris", ClinicSender.None);

        var update = await Tenants.UpdateIdentityAsync(clinic, new Dictionary<string, string?>
        {
            ["sms_from"] = "not a number", ["email_from"] = "nobody", ["sms_from; drop table tenants"] = "x",
        }, new Actor("test"), CancellationToken.None);

        Assert.Equal(3, update.Errors.Count);
        Assert.Equal(ClinicSender.None, (await Tenants.FindAsync(clinic, CancellationToken.None))!.Sender);
    }

    private async Task<HttpResponseMessage> InboundAsync(string from, string to, string body, string? sid = null)
    {
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = sid ?? "SM" + Guid.NewGuid().ToString("N"), ["AccountSid"] = gateway.Fake.Options.TwilioAccountSid,
            ["From"] = from, ["To"] = to, ["Body"] = body,
        };
        using var client = gateway.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/inbound") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(gateway.Fake.Options.TwilioAuthToken, PublicUrl, form));
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Should_scope_a_STOP_by_the_stored_number_and_follow_a_change_of_number()
    {
        var (oldNumber, newNumber) = (NewNumber(), NewNumber());
        var (a, b) = (await ClinicAsync("Clinique A", new ClinicSender { SmsFrom = oldNumber }), await ClinicAsync("Clinique B", new ClinicSender { SmsFrom = NewNumber() }));
        var phone = Seed.NewMobile();
        var (pa, pb) = (Seed.NewPatient(), Seed.NewPatient());
        await Seed.PatientAsync(gateway, a, pa, null, phone, Channel.Sms);
        await Seed.PatientAsync(gateway, b, pb, null, phone, Channel.Sms);
        await Tenants.UpdateIdentityAsync(a, new Dictionary<string, string?> { ["sms_from"] = newNumber }, new Actor("test"), CancellationToken.None);

        (await InboundAsync(phone, newNumber, "ＳＴＯＰ")).Dispose(); // fullwidth, to A's new number

        Assert.Equal("withdraw", (await Seed.LedgerAsync(gateway, a, pa))[^1].Action);
        Assert.Equal("grant", Assert.Single(await Seed.LedgerAsync(gateway, b, pb)).Action);
    }

    [Theory]
    [InlineData("HELP", "Clinique des Iris. 01 23 45 67 89. Reply STOP to opt out.")]
    [InlineData(" aide ! ", "Clinique des Iris. 01 23 45 67 89. Répondez STOP pour ne plus recevoir nos messages.")]
    [InlineData("Ｉｎｆｏ", "Clinique des Iris. 01 23 45 67 89. Répondez STOP pour ne plus recevoir nos messages.")]
    public async Task Should_answer_HELP_with_the_clinics_name_and_contact_and_change_no_consent(string body, string expected)
    {
        var number = NewNumber();
        var clinic = await ClinicAsync("Clinique des Iris", new ClinicSender { SmsFrom = number }, helpContact: "01 23 45 67 89");
        var (patient, phone) = (Seed.NewPatient(), Seed.NewMobile());
        await Seed.PatientAsync(gateway, clinic, patient, null, phone, Channel.Sms);

        var sid = "SM" + Guid.NewGuid().ToString("N");

        using var response = await InboundAsync(phone, number, body, sid);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"""<?xml version="1.0" encoding="UTF-8"?><Response><Message>{expected}</Message></Response>""",
            await response.Content.ReadAsStringAsync());
        Assert.Equal("grant", Assert.Single(await Seed.LedgerAsync(gateway, clinic, patient)).Action);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal("help", await connection.ExecuteScalarAsync<string>("select intent from twilio_inbound_messages where message_sid = @sid", new { sid }));
    }

    [Fact]
    public async Task Should_not_name_any_clinic_when_HELP_reaches_a_number_no_clinic_sends_from()
    {
        using var response = await InboundAsync(Seed.NewMobile(), NewNumber(), "HELP");

        Assert.Equal("""<?xml version="1.0" encoding="UTF-8"?><Response></Response>""", await response.Content.ReadAsStringAsync());
    }
}

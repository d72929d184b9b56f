using System.Net;
using System.Security.Cryptography;
using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Privacy;
using CommsGateway.Core.Webhooks;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Webhooks;

/// <summary>Patients reply STOP / START to a clinic's SMS or WhatsApp sender; Twilio posts the reply, signed.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TwilioInboundTests(GatewayFixture gateway)
{
    /// <summary>The URL Twilio is configured with: the gateway's PUBLIC base URL (FakeProviderSettings) + the path.</summary>
    private const string PublicUrl = "http://127.0.0.1:5080/webhooks/twilio/inbound";

    private static string NewSid() => "SM" + Guid.NewGuid().ToString("N");

    private async Task<HttpResponseMessage> PostAsync(Dictionary<string, string> form, string? signature = null)
    {
        using var client = gateway.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/inbound") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", signature ?? TwilioSignature.Compute(gateway.Fake.Options.TwilioAuthToken, PublicUrl, form));
        return await client.SendAsync(request);
    }

    private Dictionary<string, string> Reply(string from, string body, string to = FakeProviderSettings.ShortCode, string? sid = null) => new()
    {
        ["MessageSid"] = sid ?? NewSid(),
        ["AccountSid"] = gateway.Fake.Options.TwilioAccountSid,
        ["From"] = from,
        ["To"] = to,
        ["Body"] = body,
        ["NumMedia"] = "0",
    };

    private async Task<(string Tenant, string Patient, string Phone)> PatientAsync(params Channel[] grants)
    {
        var (tenant, patient, phone) = (Seed.NewTenant(), Seed.NewPatient(), Seed.NewMobile());
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), phone, grants);
        return (tenant, patient, phone);
    }

    [Fact]
    public async Task Should_withdraw_sms_marketing_on_a_signed_STOP_so_the_next_sms_campaign_is_blocked()
    {
        var (tenant, patient, phone) = await PatientAsync(Channel.Sms, Channel.Email);
        var reply = Reply(phone, " Arrêt. ");

        using var response = await PostAsync(reply);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<Response></Response>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var withdrawal = (await Seed.LedgerAsync(gateway, tenant, patient))[^1];
        Assert.Equal(("sms", "withdraw", "sms_stop"), (withdrawal.Channel, withdrawal.Action, withdrawal.Source));
        Assert.Contains(reply["MessageSid"], withdrawal.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain(phone, withdrawal.Evidence, StringComparison.Ordinal);

        var sms = await Seed.DecideAsync(gateway, Seed.Marketing(tenant, patient, Channel.Sms));
        Assert.Equal("Blocked", sms.Outcome);
        Assert.Contains(ReasonCodes.NoMarketingConsent, sms.Reasons);
        // Only the channel the reply came on: the email grant stands.
        var email = Seed.Marketing(tenant, patient, Channel.Email);
        await gateway.PublishAsync(email);
        Assert.Equal(DecisionOutcome.Sent, Assert.Single(await gateway.WaitForDecidedAsync(email.IntentId)).Outcome);
    }

    [Theory]
    [InlineData("bad")]
    [InlineData("")]
    public async Task Should_refuse_a_badly_signed_or_unsigned_STOP_with_403_and_change_nothing(string kind)
    {
        var (tenant, patient, phone) = await PatientAsync(Channel.Sms);
        var reply = Reply(phone, "STOP");
        var signature = kind == "bad"
            ? TwilioSignature.Compute("not-the-auth-token", PublicUrl, reply)
            : "";

        using var response = await PostAsync(reply, signature);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("grant", Assert.Single(await Seed.LedgerAsync(gateway, tenant, patient)).Action);
    }

    // A parameter Twilio repeats (one value per field) is signed as name+value once per value, not comma-joined.
    [Fact]
    public async Task Should_verify_a_repeated_parameter_as_Twilio_signs_it()
    {
        var (tenant, patient, phone) = await PatientAsync(Channel.Sms);
        var reply = Reply(phone, "STOP");
        var fields = reply.Select(p => p).Append(new("AddOns", "b")).Append(new("AddOns", "a")).ToList();
        using var client = gateway.Factory.CreateClient();

        async Task<HttpStatusCode> PostSignedAsync(IEnumerable<KeyValuePair<string, string>> signed)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/inbound") { Content = new FormUrlEncodedContent(fields) };
            request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(gateway.Fake.Options.TwilioAuthToken, PublicUrl, signed));
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        var commaJoined = reply.Select(p => p).Append(new("AddOns", "b,a"));
        Assert.Equal(HttpStatusCode.Forbidden, await PostSignedAsync(commaJoined));
        Assert.Single(await Seed.LedgerAsync(gateway, tenant, patient));
        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(fields));
        Assert.Equal("withdraw", (await Seed.LedgerAsync(gateway, tenant, patient))[^1].Action);
    }

    [Fact]
    public async Task Should_refuse_a_signature_over_other_parameters()
    {
        var (tenant, patient, phone) = await PatientAsync(Channel.Sms);
        var signed = Reply(phone, "Hello, see you tomorrow");
        var tampered = new Dictionary<string, string>(signed) { ["Body"] = "STOP" };

        using var response = await PostAsync(tampered, TwilioSignature.Compute(gateway.Fake.Options.TwilioAuthToken, PublicUrl, signed));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Single(await Seed.LedgerAsync(gateway, tenant, patient));
    }

    [Fact]
    public async Task Should_regrant_on_START_with_the_inbound_message_as_evidence_and_act_once_per_MessageSid()
    {
        var (tenant, patient, phone) = await PatientAsync(Channel.Sms);
        (await PostAsync(Reply(phone, "STOP"))).Dispose();
        var start = Reply(phone, "Start");

        using var first = await PostAsync(start);
        using var again = await PostAsync(start); // Twilio retrying the same webhook

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var ledger = await Seed.LedgerAsync(gateway, tenant, patient);
        Assert.Equal(["grant", "withdraw", "grant"], ledger.Select(e => e.Action));
        var grant = ledger[^1];
        Assert.Equal(("sms", "sms_start", "keyword:sms_start"), (grant.Channel, grant.Source, grant.WordingVersion));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("Start"))), grant.WordingSha256);
        Assert.Contains(start["MessageSid"], grant.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_not_create_a_first_consent_from_a_bare_YES()
    {
        var (tenant, patient, phone) = await PatientAsync(); // never consented to SMS marketing

        using var response = await PostAsync(Reply(phone, "YES"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await Seed.LedgerAsync(gateway, tenant, patient));
    }

    [Fact]
    public async Task Should_honour_Twilio_OptOutType_and_withdraw_whatsapp_for_whatsapp_senders()
    {
        var (tenant, patient, phone) = await PatientAsync(Channel.WhatsApp, Channel.Sms);
        var reply = Reply("whatsapp:" + phone, "please no more", "whatsapp:" + FakeProviderSettings.WhatsAppFrom);
        reply["OptOutType"] = "STOP";

        using var response = await PostAsync(reply);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ledger = await Seed.LedgerAsync(gateway, tenant, patient);
        Assert.Equal(("whatsapp", "withdraw"), (ledger[^1].Channel, ledger[^1].Action));
        Assert.DoesNotContain(ledger, e => e.Channel == "sms" && e.Action == "withdraw");
    }

    [Fact]
    public async Task Should_ignore_a_sentence_that_merely_contains_stop()
    {
        var (tenant, patient, phone) = await PatientAsync(Channel.Sms);

        using var response = await PostAsync(Reply(phone, "Please don't stop the reminders"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await Seed.LedgerAsync(gateway, tenant, patient));
    }

    [Fact]
    public async Task Should_scope_a_STOP_to_the_clinics_that_send_from_the_number_replied_to()
    {
        // One person, on record at two clinics: one sends from the default short code, one from its own long code.
        var phone = Seed.NewMobile();
        var (shortCodeClinic, longCodeClinic) = (Seed.NewTenant(), "longcode-clinic");
        var (a, b) = (Seed.NewPatient(), Seed.NewPatient());
        await Seed.PatientAsync(gateway, shortCodeClinic, a, null, phone, Channel.Sms);
        await Seed.PatientAsync(gateway, longCodeClinic, b, null, phone, Channel.Sms);

        (await PostAsync(Reply(phone, "STOP", to: FakeProviderSettings.LongCode))).Dispose();

        Assert.Equal("withdraw", (await Seed.LedgerAsync(gateway, longCodeClinic, b))[^1].Action);
        Assert.Equal("grant", Assert.Single(await Seed.LedgerAsync(gateway, shortCodeClinic, a)).Action);

        // A number no clinic is configured with: a STOP still withdraws everywhere the number is on record.
        (await PostAsync(Reply(phone, "STOP", to: "+33700009999"))).Dispose();
        Assert.Equal("withdraw", (await Seed.LedgerAsync(gateway, shortCodeClinic, a))[^1].Action);
    }

    [Fact]
    public async Task Should_record_a_withdrawal_and_a_suppression_when_Twilio_reports_21610_on_a_send()
    {
        var (tenant, patient) = (Seed.NewTenant(), Seed.NewPatient());
        await Seed.PatientAsync(gateway, tenant, patient, null, FakeProviderServer.OptedOutNumber, Channel.Sms);
        var reminder = Seed.Service(tenant, patient, Channel.Sms);
        await gateway.PublishAsync(reminder);
        Assert.Contains(ReasonCodes.RecipientOptedOut, Assert.Single(await gateway.WaitForDecidedAsync(reminder.IntentId)).Reasons);

        var withdrawal = (await Seed.LedgerAsync(gateway, tenant, patient))[^1];
        Assert.Equal(("sms", "withdraw", "provider_opt_out"), (withdrawal.Channel, withdrawal.Action, withdrawal.Source));
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal("provider_opt_out", await connection.QueryFirstOrDefaultAsync<string>(
            "select reason from suppressions where tenant_id = @tenant and channel = 'sms' and address_hash = @hash",
            new { tenant, hash = gateway.Factory.Services.GetRequiredService<AddressHasher>().Hash(FakeProviderServer.OptedOutNumber) }));

        // The next message is not even tried: the number is suppressed.
        var next = await Seed.DecideAsync(gateway, Seed.Service(tenant, patient, Channel.Sms));
        Assert.Equal("Blocked", next.Outcome);
        Assert.Contains(ReasonCodes.Suppressed, next.Reasons);
    }

    /// <summary>Twilio always posts a form: anything else is malformed (400, before any signature work), and changes nothing.</summary>
    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    public async Task Should_answer_400_to_a_body_that_is_not_a_form_and_change_nothing(string contentType)
    {
        var (tenant, patient, phone) = await PatientAsync(Channel.Sms);
        var reply = Reply(phone, "STOP");
        using var client = gateway.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/inbound")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(reply), Encoding.UTF8, contentType),
        };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(gateway.Fake.Options.TwilioAuthToken, PublicUrl, reply));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("grant", Assert.Single(await Seed.LedgerAsync(gateway, tenant, patient)).Action);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
            "select count(*) from suppressions where tenant_id = @tenant", new { tenant }));
    }
}

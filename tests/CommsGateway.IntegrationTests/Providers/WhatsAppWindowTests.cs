using System.Net;
using CommsGateway.Contracts;
using CommsGateway.Core.Webhooks;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;

namespace CommsGateway.IntegrationTests.Providers;

/// <summary>
/// WhatsApp's 24-hour customer-service window: free-form only within 24 hours of the patient's last inbound WhatsApp
/// message (recorded by the signed inbound webhook), else an approved template, else blocked before Twilio.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class WhatsAppWindowTests(GatewayFixture gateway)
{
    private const string InboundUrl = "http://127.0.0.1:5080/webhooks/twilio/inbound";

    /// <summary>A patient with a WhatsApp grant, no inbound message on record, at a clinic whose marketing window never closes.</summary>
    private async Task<(string Patient, string Phone)> PatientAsync(string tenant)
    {
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                insert into tenants (tenant_id, name, settings) values (@tenant, 'Window clinic', @settings::jsonb)
                on conflict (tenant_id) do update set settings = excluded.settings
                """, new
            {
                tenant,
                settings = """{"marketing_window_start":"00:00","marketing_window_end":"23:59:59.9999999","marketing_on_sundays":true,"holiday_country":"XX"}""",
            });
            await TestSenders.StoreAsync(connection, tenant);
        }

        var (patient, phone) = (Seed.NewPatient(), Seed.NewMobile());
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), phone, Channel.WhatsApp);
        await Seed.CloseWhatsAppWindowAsync(gateway, tenant, patient);
        return (patient, phone);
    }

    /// <summary>The patient writes to the clinic's WhatsApp sender ("Bonjour", no keyword); Twilio posts it, signed.</summary>
    private async Task WritesOnWhatsAppAsync(string phone)
    {
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N"),
            ["AccountSid"] = gateway.Fake.Options.TwilioAccountSid,
            ["From"] = "whatsapp:" + phone,
            ["To"] = "whatsapp:" + FakeProviderSettings.WhatsAppFrom,
            ["Body"] = "Bonjour, une question sur mon soin",
            ["NumMedia"] = "0",
        };
        using var client = gateway.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/inbound") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(gateway.Fake.Options.TwilioAuthToken, InboundUrl, form));
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<MessageDecided> DecideAsync(MessageIntent intent)
    {
        await gateway.PublishAsync(intent);
        return Assert.Single(await gateway.WaitForDecidedAsync(intent.IntentId));
    }

    [Fact]
    public async Task Should_send_marketing_free_form_with_its_footer_after_the_patient_wrote_on_WhatsApp()
    {
        var tenant = Seed.NewTenant();
        var (patient, phone) = await PatientAsync(tenant);
        await WritesOnWhatsAppAsync(phone);
        var intent = Seed.Marketing(tenant, patient, Channel.WhatsApp);

        var decided = await DecideAsync(intent);

        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        var accepted = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Null(accepted.ContentSid);
        Assert.Contains("20% off all peels", accepted.Text, StringComparison.Ordinal);
        Assert.Contains("/u/", accepted.Text, StringComparison.Ordinal); // the rendered footer's unsubscribe link
        Assert.Contains("STOP", accepted.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_send_marketing_through_the_clinics_template_when_the_patient_never_wrote()
    {
        var tenant = FakeProviderSettings.TemplateClinic;
        var (patient, _) = await PatientAsync(tenant);
        var intent = Seed.Marketing(tenant, patient, Channel.WhatsApp);

        var decided = await DecideAsync(intent);

        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        var accepted = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal(FakeProviderSettings.TemplateClinicContentSid, accepted.ContentSid);
        Assert.Null(accepted.Text);
    }

    [Fact]
    public async Task Should_block_WhatsAppWindowClosed_before_Twilio_when_the_patient_never_wrote_and_no_template_exists()
    {
        var tenant = Seed.NewTenant();
        var (patient, _) = await PatientAsync(tenant);
        var marketing = Seed.Marketing(tenant, patient, Channel.WhatsApp);
        var service = Seed.Service(tenant, patient, Channel.WhatsApp);

        var decided = await DecideAsync(marketing);
        var reminder = await DecideAsync(service);

        Assert.Equal(DecisionOutcome.Blocked, decided.Outcome);
        Assert.Equal([ReasonCodes.WhatsAppWindowClosed], decided.Reasons);
        Assert.Equal(DecisionOutcome.Blocked, reminder.Outcome);
        Assert.Equal([ReasonCodes.WhatsAppWindowClosed], reminder.Reasons);
        Assert.Contains(ReasonCodes.WhatsAppWindowClosed, Assert.Single(await gateway.DecisionsAsync(tenant, marketing.IntentId)).Reasons);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == marketing.IntentId || m.IntentId == service.IntentId);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from dispatches where tenant_id = @tenant", new { tenant }));
    }

    [Fact]
    public async Task Should_send_WhatsApp_free_form_outside_the_window_when_the_clinic_turned_enforcement_off()
    {
        var tenant = Seed.NewTenant();
        var (patient, _) = await PatientAsync(tenant);
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update tenants set settings = settings || '{\"whatsapp_window_enforced\": false}' where tenant_id = @tenant", new { tenant });
        }

        var intent = Seed.Service(tenant, patient, Channel.WhatsApp);

        Assert.Equal(DecisionOutcome.Sent, (await DecideAsync(intent)).Outcome);
        Assert.Contains(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId && m.ContentSid is null);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;

namespace CommsGateway.IntegrationTests.Providers;

/// <summary>
/// Marketing WhatsApp through an approved template: the template, not the rendered footer, is what the patient sees,
/// so the unsubscribe link must travel in the variable the template names, or the message must not leave at all.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class WhatsAppTemplateTests(GatewayFixture gateway)
{
    /// <summary>A clinic whose marketing window never closes, so the test does not depend on the day or hour it runs.</summary>
    private async Task<string> PatientWithWhatsAppGrantAsync(string tenant, bool windowOpen = false)
    {
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                insert into tenants (tenant_id, name, settings) values (@tenant, 'Template clinic', @settings::jsonb)
                on conflict (tenant_id) do update set settings = excluded.settings
                """, new
            {
                tenant,
                settings = """{"marketing_window_start":"00:00","marketing_window_end":"23:59:59.9999999","marketing_on_sundays":true,"holiday_country":"XX"}""",
            });
            await TestSenders.StoreAsync(connection, tenant);
        }

        var patient = Seed.NewPatient();
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), Seed.NewMobile(), Channel.WhatsApp);
        if (!windowOpen)
        {
            await Seed.CloseWhatsAppWindowAsync(gateway, tenant, patient);
        }

        return patient;
    }

    private async Task<MessageDecided> DecideAsync(MessageIntent intent)
    {
        await gateway.PublishAsync(intent);
        return Assert.Single(await gateway.WaitForDecidedAsync(intent.IntentId));
    }

    private async Task<long> DispatchCountAsync(string intentId)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from dispatches where intent_id = @intentId", new { intentId });
    }

    private static Dictionary<string, string> Variables(AcceptedMessage accepted) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(accepted.ContentVariables ?? "{}")!;

    [Fact]
    public async Task Should_fill_the_clinics_template_variable_with_a_working_unsubscribe_link()
    {
        var tenant = FakeProviderSettings.TemplateClinic;
        var patient = await PatientWithWhatsAppGrantAsync(tenant);
        var intent = Seed.Marketing(tenant, patient, Channel.WhatsApp, "spring-peel");

        var decided = await DecideAsync(intent);

        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        var accepted = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal(FakeProviderSettings.TemplateClinicContentSid, accepted.ContentSid);
        Assert.Null(accepted.Text); // a template, not a free-form body
        var link = new Uri(Variables(accepted)[FakeProviderSettings.TemplateClinicUnsubscribeVariable]);
        Assert.Equal("/u/", link.AbsolutePath[..3]);
        Assert.DoesNotContain(patient, link.AbsoluteUri, StringComparison.Ordinal);

        // The link verifies: a one-click POST to it withdraws WhatsApp marketing consent at once.
        using var client = gateway.Factory.CreateClient();
        using var response = await client.PostAsync(link.PathAndQuery,
            new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var withdrawal = (await Seed.LedgerAsync(gateway, tenant, patient))[^1];
        Assert.Equal(("whatsapp", "withdraw"), (withdrawal.Channel, withdrawal.Action));
    }

    [Fact]
    public async Task Should_put_the_link_in_the_variable_an_intent_template_names_over_any_producer_value()
    {
        var tenant = FakeProviderSettings.TemplateClinic;
        var patient = await PatientWithWhatsAppGrantAsync(tenant);
        var intent = Seed.Marketing(tenant, patient, Channel.WhatsApp) with
        {
            Template = new WhatsAppTemplate
            {
                ContentSid = "HXautumn",
                Variables = new Dictionary<string, string> { ["1"] = "Camille", ["4"] = "https://forged.example/u/x" },
                UnsubscribeVariable = "4",
            },
        };

        Assert.Equal(DecisionOutcome.Sent, (await DecideAsync(intent)).Outcome);

        var accepted = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal("HXautumn", accepted.ContentSid);
        var variables = Variables(accepted);
        Assert.Equal("Camille", variables["1"]);
        Assert.StartsWith("http://127.0.0.1:5080/u/", variables["4"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_block_marketing_through_a_clinic_template_without_an_unsubscribe_variable_before_sending()
    {
        var tenant = FakeProviderSettings.BareTemplateClinic;
        var patient = await PatientWithWhatsAppGrantAsync(tenant);
        var intent = Seed.Marketing(tenant, patient, Channel.WhatsApp);

        var decided = await DecideAsync(intent);

        Assert.Equal(DecisionOutcome.Blocked, decided.Outcome);
        Assert.Equal([ReasonCodes.TemplateLacksUnsubscribe], decided.Reasons);
        Assert.Contains(ReasonCodes.TemplateLacksUnsubscribe, Assert.Single(await gateway.DecisionsAsync(tenant, intent.IntentId)).Reasons);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal(0, await DispatchCountAsync(intent.IntentId)); // nothing claimed, so nothing could have been sent
    }

    [Fact]
    public async Task Should_block_marketing_through_an_intent_template_that_names_no_unsubscribe_variable()
    {
        var tenant = FakeProviderSettings.TemplateClinic;
        var patient = await PatientWithWhatsAppGrantAsync(tenant);
        var intent = Seed.Marketing(tenant, patient, Channel.WhatsApp) with
        {
            Template = new WhatsAppTemplate { ContentSid = "HXnolink", Variables = new Dictionary<string, string> { ["1"] = "Camille" } },
        };

        var decided = await DecideAsync(intent);

        Assert.Equal(DecisionOutcome.Blocked, decided.Outcome);
        Assert.Equal([ReasonCodes.TemplateLacksUnsubscribe], decided.Reasons);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Equal(0, await DispatchCountAsync(intent.IntentId));
    }
}

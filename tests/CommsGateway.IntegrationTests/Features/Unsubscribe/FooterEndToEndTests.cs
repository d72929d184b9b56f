using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Unsubscribe;

/// <summary>
/// Every marketing message reaches the provider with its channel's way out (issue 5): SMS and WhatsApp bodies end
/// with STOP and a /u/ link that verifies; marketing hidden in a "service" email gets the footer and the RFC 2369 /
/// RFC 8058 headers too; an SMS the footer would push past 10 segments is blocked and never reaches Twilio.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class FooterEndToEndTests(GatewayFixture gateway)
{
    /// <summary>
    /// Marketing SMS/WhatsApp wait for the clinic's window (Mon-Sat daytime, no holidays): this clinic's window is
    /// open around the clock so the tests do not depend on when they run.
    /// </summary>
    private async Task<(string Tenant, string Patient, string Phone)> AlwaysOpenClinicPatientAsync(params Channel[] grants)
    {
        var (tenant, patient, phone) = (Seed.NewTenant(), Seed.NewPatient(), Seed.NewMobile());
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                insert into tenants (tenant_id, name, settings) values (@tenant, 'Test clinic',
                    '{"marketing_window_start": "00:00", "marketing_window_end": "23:59:59.9999999", "marketing_on_sundays": true, "holiday_country": "ZZ"}')
                """, new { tenant });
            await TestSenders.StoreAsync(connection, tenant);
        }

        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), phone, grants);
        return (tenant, patient, phone);
    }

    private async Task<AcceptedMessage> SentAsync(MessageIntent intent)
    {
        await gateway.PublishAsync(intent);
        var decided = Assert.Single(await gateway.WaitForDecidedAsync(intent.IntentId));
        Assert.True(decided.Outcome == DecisionOutcome.Sent, $"{decided.Outcome}: {string.Join(", ", decided.Reasons)}");
        return Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
    }

    /// <summary>The link at the end of the text, verified with the gateway's own key ring.</summary>
    private UnsubscribeClaims VerifiedLinkClaims(string text)
    {
        var at = text.LastIndexOf("http://127.0.0.1:5080/u/", StringComparison.Ordinal);
        Assert.True(at >= 0, "no /u/ link in: " + text);
        var token = text[(at + "http://127.0.0.1:5080/u/".Length)..].TrimEnd();
        var verification = gateway.Services.GetRequiredService<UnsubscribeTokens>().Verify(token, DateTimeOffset.UtcNow);
        Assert.True(verification.IsValid, verification.Rejection.ToString());
        return verification.Claims!;
    }

    [Fact]
    public async Task Should_deliver_a_marketing_sms_with_STOP_and_a_link_that_verifies()
    {
        var (tenant, patient, phone) = await AlwaysOpenClinicPatientAsync(Channel.Sms);
        var intent = Seed.Marketing(tenant, patient, Channel.Sms) with { Blocks = null };

        var accepted = await SentAsync(intent);

        Assert.Equal(("sms", phone), (accepted.Channel, accepted.To));
        Assert.StartsWith(intent.Body + "\nRépondez STOP pour ne plus recevoir : http://127.0.0.1:5080/u/", accepted.Text, StringComparison.Ordinal);
        var claims = VerifiedLinkClaims(accepted.Text!);
        Assert.Equal((tenant, Channel.Sms, UnsubscribeScope.Channel), (claims.TenantId, claims.Channel, claims.Scope));
    }

    [Fact]
    public async Task Should_deliver_a_plain_marketing_whatsapp_with_STOP_and_a_link_that_verifies()
    {
        var (tenant, patient, phone) = await AlwaysOpenClinicPatientAsync(Channel.WhatsApp);
        var intent = Seed.Marketing(tenant, patient, Channel.WhatsApp) with { Blocks = null };

        var accepted = await SentAsync(intent);

        Assert.Equal(("whatsapp", "whatsapp:" + phone, null), (accepted.Channel, accepted.To, accepted.ContentSid));
        Assert.StartsWith(intent.Body + "\n\nRépondez STOP pour ne plus recevoir ces messages. Se désinscrire : http://127.0.0.1:5080/u/",
            accepted.Text, StringComparison.Ordinal);
        var claims = VerifiedLinkClaims(accepted.Text!);
        Assert.Equal((tenant, Channel.WhatsApp), (claims.TenantId, claims.Channel));
    }

    [Fact]
    public async Task Should_give_marketing_declared_as_service_the_footer_and_the_unsubscribe_headers()
    {
        var (tenant, patient, _) = await AlwaysOpenClinicPatientAsync(Channel.Email);
        var intent = Seed.Marketing(tenant, patient, Channel.Email) with
        {
            DeclaredPurpose = Purpose.Service, Category = "appointment_reminder", Blocks = null, Producer = "booking",
        };

        var accepted = await SentAsync(intent);

        var row = Assert.Single(await gateway.DecisionsAsync(tenant, intent.IntentId));
        Assert.Equal(("marketing", "service"), (row.DetectedPurpose, row.DeclaredPurpose));
        Assert.Contains(ReasonCodes.DeclaredPurposeMismatch, row.Reasons);
        Assert.Equal("List-Unsubscribe=One-Click", accepted.Headers["List-Unsubscribe-Post"]);
        var link = accepted.Headers["List-Unsubscribe"].Trim('<', '>');
        Assert.StartsWith("http://127.0.0.1:5080/u/", link, StringComparison.Ordinal);
        Assert.Contains("Se désinscrire : " + link, accepted.Text, StringComparison.Ordinal);
        Assert.Contains($"href=\"{link}\"", accepted.Html, StringComparison.Ordinal);
        Assert.Equal(Channel.Email, VerifiedLinkClaims(link).Channel);
    }

    [Fact]
    public async Task Should_block_a_marketing_sms_whose_footer_does_not_fit_and_send_nothing_to_twilio()
    {
        var (tenant, patient, phone) = await AlwaysOpenClinicPatientAsync(Channel.Sms);
        // 1,500 GSM-7 characters: valid alone (10 segments), 11 once STOP and the link are added.
        var body = "20% off all peels this month: book now! " + new string('x', 1_500 - 40);
        var intent = Seed.Marketing(tenant, patient, Channel.Sms) with { Body = body, Blocks = null };

        await gateway.PublishAsync(intent);
        var decided = Assert.Single(await gateway.WaitForDecidedAsync(intent.IntentId));

        Assert.Equal(DecisionOutcome.Blocked, decided.Outcome);
        Assert.Equal([ReasonCodes.FooterExceedsLimit], decided.Reasons);
        var row = Assert.Single(await gateway.DecisionsAsync(tenant, intent.IntentId));
        Assert.Equal(("Blocked", "marketing"), (row.Outcome, row.DetectedPurpose));
        // A control on the same patient and channel, sent after it, arrives: nothing for the blocked one ever came.
        var control = Seed.Marketing(tenant, patient, Channel.Sms) with { Blocks = null };
        await SentAsync(control);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
        Assert.Single(gateway.Fake.Accepted, m => m.To == phone);
    }
}

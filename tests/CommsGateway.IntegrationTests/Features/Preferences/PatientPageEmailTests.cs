using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Preferences;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Preferences;

/// <summary>
/// The emails the patient pages send (double opt-in confirmation, consent receipt) are in the decision log like every
/// message the gateway sends: a Sent service decision with its content hashed, the dispatch settled with the provider's
/// id, in the tenant's chain.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PatientPageEmailTests(GatewayFixture gateway)
{
    private sealed record Row(string IntentId, string? PatientId, string? Producer, string Channel, string? Category, string DetectedPurpose,
        string Outcome, string Reasons, byte[]? ContentSha256, string? Status, string? ProviderMessageId);

    private async Task<Row> DecisionAsync(string tenant, string category)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<Row>("""
            select d.intent_id as IntentId, d.patient_id as PatientId, d.producer as Producer, d.channel as Channel, d.category as Category,
                   d.detected_purpose as DetectedPurpose, d.outcome as Outcome, array_to_string(d.reasons, ',') as Reasons, d.content_sha256 as ContentSha256,
                   p.status as Status, p.provider_message_id as ProviderMessageId
            from decisions d left join dispatches p using (decision_id)
            where d.tenant_id = @tenant and d.category = @category
            """, new { tenant, category });
    }

    [Fact]
    public async Task Should_log_the_confirmation_and_the_receipt_as_sent_service_decisions_with_their_dispatch()
    {
        var tenant = await PreferenceCentreRequests.ClinicAsync(gateway);
        var patient = Seed.NewPatient();
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), null);

        await PreferenceCentreRequests.EmailGrantAsync(gateway, tenant, patient, "203.0.113.9");
        var receiptSent = await gateway.Services.GetRequiredService<ReceiptMailer>()
            .SendAsync(tenant, patient, "sub-" + patient, UnsubscribeLocale.En, CancellationToken.None);

        Assert.True(receiptSent);
        foreach (var category in new[] { ConfirmationMailer.ConfirmationCategory, ConfirmationMailer.ReceiptCategory })
        {
            var row = await DecisionAsync(tenant, category);
            var accepted = Assert.Single(gateway.Fake.Accepted, m => m.IntentId == row.IntentId);
            Assert.Equal((patient, ConfirmationMailer.Producer, "email", "service", "Sent"),
                (row.PatientId, row.Producer, row.Channel, row.DetectedPurpose, row.Outcome));
            Assert.Equal(ReasonCodes.ServiceMessage, row.Reasons);
            Assert.Equal(32, row.ContentSha256?.Length);
            Assert.Equal(("sent", accepted.ProviderMessageId), (row.Status, row.ProviderMessageId));
            Assert.Contains(category, accepted.Categories);
        }

        // Appended through the decision writer: the tenant's chain still verifies.
        var chain = await DecisionChainVerifier.VerifyAsync(gateway.Db, tenant, CancellationToken.None);
        Assert.True(chain.Intact, chain.FirstBroken?.Problem);
        Assert.Equal((2, 0), (chain.RowsChecked, chain.UnchainedRows));
    }

    [Fact]
    public async Task Should_email_at_most_five_receipts_an_hour_to_a_patient_counted_in_the_decision_log()
    {
        var tenant = await PreferenceCentreRequests.ClinicAsync(gateway);
        var (patient, other) = (Seed.NewPatient(), Seed.NewPatient());
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), null);
        await Seed.PatientAsync(gateway, tenant, other, Seed.NewEmail(), null);
        var mailer = gateway.Services.GetRequiredService<ReceiptMailer>();

        var sent = new List<bool>();
        for (var i = 0; i < ReceiptMailer.MaxPerHour + 1; i++)
        {
            sent.Add(await mailer.SendAsync(tenant, patient, "sub-" + patient, UnsubscribeLocale.Fr, CancellationToken.None));
        }

        var otherSent = await mailer.SendAsync(tenant, other, "sub-" + other, UnsubscribeLocale.Fr, CancellationToken.None);

        Assert.Equal([true, true, true, true, true, false], sent);
        Assert.True(otherSent); // the bound is per patient
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var logged = await connection.ExecuteScalarAsync<int>(
            "select count(*) from decisions where tenant_id = @tenant and patient_id = @patient and category = 'consent_receipt'", new { tenant, patient });
        Assert.Equal(ReceiptMailer.MaxPerHour, logged);
    }
}

using System.Net.Http.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Admin;
using CommsGateway.IntegrationTests.Features.Patients;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Consent;

/// <summary>
/// The gateway's decisions read consent through the ledger (issue 3): publish an intent, read the decision row.
/// These assert the consent rules of SendPolicy (issue 3/4 text); they pass once that policy is in place.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ConsentDecisionTests(GatewayFixture gateway)
{
    private const string Promotion = "20% off all peels this month: book now!";
    private const string Reminder = "Reminder: your appointment with Dr Patel is tomorrow at 10:30.";

    private async Task<(Clinic Clinic, string Patient)> PatientAsync(object? contact = null)
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, contact ?? new { email = PatientDataTests.NewAddresses().Email, phone = PatientDataTests.NewAddresses().E164 })).EnsureSuccessStatusCode();
        return (clinic, patient);
    }

    private async Task<(string Outcome, string[] Reasons, long? ConsentEventId)> DecideAsync(Clinic clinic, string patient, Channel channel, string body, Purpose declared)
    {
        var intentId = $"c-{Guid.NewGuid():N}";
        await gateway.PublishAsync(new MessageIntent
        {
            IntentId = intentId, TenantId = clinic.TenantId, Producer = declared == Purpose.Marketing ? "campaigns" : "booking",
            PatientId = patient, Channel = channel, DeclaredPurpose = declared,
            Category = declared == Purpose.Marketing ? "campaign" : "appointment_reminder", Subject = "Hello", Body = body,
            // Structured marketing section: classified as marketing by the skeleton's classifier and by issue 4's.
            Blocks = declared == Purpose.Marketing ? [new ContentBlock { Kind = Purpose.Marketing, Text = body }] : null,
        });
        Assert.Single(await gateway.WaitForDecisionsAsync(clinic.TenantId, intentId));
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.QueryFirstAsync<(string, string[], long?)>(
            "select outcome, reasons, consent_event_id from decisions where tenant_id = @t and intent_id = @i", new { t = clinic.TenantId, i = intentId });
    }

    [Fact]
    public async Task Should_block_marketing_without_a_grant_on_that_channel()
    {
        var (clinic, patient) = await PatientAsync();
        (await clinic.GrantAsync(patient, "sms")).EnsureSuccessStatusCode(); // another channel's grant does not count

        var (outcome, reasons, _) = await DecideAsync(clinic, patient, Channel.Email, Promotion, Purpose.Marketing);

        Assert.Equal("Blocked", outcome);
        Assert.Contains(ReasonCodes.NoMarketingConsent, reasons);
    }

    [Fact]
    public async Task Should_send_marketing_with_a_live_grant_and_cite_its_event()
    {
        var (clinic, patient) = await PatientAsync();
        var grant = await (await clinic.GrantAsync(patient, "email")).Content.ReadFromJsonAsync<Recorded>();

        var (outcome, _, consentEventId) = await DecideAsync(clinic, patient, Channel.Email, Promotion, Purpose.Marketing);

        Assert.Equal("Sent", outcome);
        Assert.Equal(Assert.Single(grant!.EventIds), consentEventId);
    }

    [Fact]
    public async Task Should_block_marketing_decided_after_a_withdrawal()
    {
        var (clinic, patient) = await PatientAsync();
        (await clinic.GrantAsync(patient, "email")).EnsureSuccessStatusCode();
        var withdrawal = await (await clinic.WithdrawAsync(patient, "email")).Content.ReadFromJsonAsync<Recorded>();

        var (outcome, reasons, consentEventId) = await DecideAsync(clinic, patient, Channel.Email, Promotion, Purpose.Marketing);

        Assert.Equal("Blocked", outcome);
        Assert.Contains(ReasonCodes.NoMarketingConsent, reasons);
        Assert.Equal(Assert.Single(withdrawal!.EventIds), consentEventId);
    }

    [Fact]
    public async Task Should_block_marketing_whose_consent_lapsed()
    {
        var (clinic, patient) = await PatientAsync();
        var grant = await (await clinic.GrantAsync(patient, "email", occurredAt: DateTimeOffset.UtcNow.AddMonths(-37))).Content.ReadFromJsonAsync<Recorded>();

        var (outcome, reasons, consentEventId) = await DecideAsync(clinic, patient, Channel.Email, Promotion, Purpose.Marketing);

        Assert.Equal("Blocked", outcome);
        Assert.Contains(ReasonCodes.ConsentLapsed, reasons);
        Assert.Equal(Assert.Single(grant!.EventIds), consentEventId);
    }

    // The CNIL's 36 months (the default lapse), counted from the grant: two minutes either side of the boundary,
    // far more than an intent takes to be decided on the real bus and database.
    [Theory]
    [InlineData(2, "Sent")]
    [InlineData(-2, "Blocked")]
    public async Task Should_lapse_marketing_consent_36_months_after_its_grant(int minutesFromBoundary, string expected)
    {
        var (clinic, patient) = await PatientAsync();
        var grantedAt = DateTimeOffset.UtcNow.AddMonths(-36).AddMinutes(minutesFromBoundary);
        var grant = await (await clinic.GrantAsync(patient, "email", occurredAt: grantedAt)).Content.ReadFromJsonAsync<Recorded>();

        var (outcome, reasons, consentEventId) = await DecideAsync(clinic, patient, Channel.Email, Promotion, Purpose.Marketing);

        Assert.Equal(expected, outcome);
        Assert.Equal(expected == "Blocked", reasons.Contains(ReasonCodes.ConsentLapsed));
        Assert.Equal(Assert.Single(grant!.EventIds), consentEventId);
    }

    // `commsgw tenant set --consent-lapse-months 12` (TenantDirectory.UpdateSettingsAsync): the clinic's own period
    // applies from the next decision on; the clinic keeps its name and the change is attributed.
    [Fact]
    public async Task Should_lapse_marketing_consent_after_the_period_the_clinic_set()
    {
        var (clinic, patient) = await PatientAsync();
        var grant = await (await clinic.GrantAsync(patient, "email", occurredAt: DateTimeOffset.UtcNow.AddMonths(-13))).Content.ReadFromJsonAsync<Recorded>();
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var name = await connection.QuerySingleAsync<string>("select name from tenants where tenant_id = @t", new { t = clinic.TenantId });
        Assert.Equal("Sent", (await DecideAsync(clinic, patient, Channel.Email, Promotion, Purpose.Marketing)).Outcome);

        var directory = gateway.Services.GetRequiredService<TenantDirectory>();
        Assert.True(await directory.UpdateSettingsAsync(clinic.TenantId, new Dictionary<string, object?> { ["consent_lapse_months"] = 12 },
            new Actor("test", "dpo"), CancellationToken.None));
        Assert.False(await directory.UpdateSettingsAsync("no-such-clinic", new Dictionary<string, object?> { ["consent_lapse_months"] = 12 },
            new Actor("test", "dpo"), CancellationToken.None));

        var (outcome, reasons, consentEventId) = await DecideAsync(clinic, patient, Channel.Email, Promotion, Purpose.Marketing);
        Assert.Equal("Blocked", outcome);
        Assert.Contains(ReasonCodes.ConsentLapsed, reasons);
        Assert.Equal(Assert.Single(grant!.EventIds), consentEventId);
        Assert.Equal(name, await connection.QuerySingleAsync<string>("select name from tenants where tenant_id = @t", new { t = clinic.TenantId }));
        Assert.Equal(("dpo", "12"), await connection.QuerySingleAsync<(string, string)>("""
            select on_behalf, detail->'settings'->>'consent_lapse_months' from admin_audit
            where tenant_id = @t and action = 'tenant.settings'
            """, new { t = clinic.TenantId }));
    }

    // An older grant stays alive while the patient keeps in touch: the 36 months run from the last interaction.
    [Theory]
    [InlineData(2, "Sent")]
    [InlineData(-2, "Blocked")]
    public async Task Should_lapse_marketing_consent_36_months_after_the_last_interaction(int minutesFromBoundary, string expected)
    {
        var lastInteractionAt = DateTimeOffset.UtcNow.AddMonths(-36).AddMinutes(minutesFromBoundary);
        var (clinic, patient) = await PatientAsync(new { email = PatientDataTests.NewAddresses().Email, lastInteractionAt });
        var grant = await (await clinic.GrantAsync(patient, "email", occurredAt: DateTimeOffset.UtcNow.AddYears(-5))).Content.ReadFromJsonAsync<Recorded>();

        var (outcome, reasons, consentEventId) = await DecideAsync(clinic, patient, Channel.Email, Promotion, Purpose.Marketing);

        Assert.Equal(expected, outcome);
        Assert.Equal(expected == "Blocked", reasons.Contains(ReasonCodes.ConsentLapsed));
        Assert.Equal(Assert.Single(grant!.EventIds), consentEventId);
    }

    [Fact]
    public async Task Should_block_a_service_message_on_a_refused_channel()
    {
        var (clinic, patient) = await PatientAsync();
        var refusal = await (await clinic.WithdrawAsync(patient, "whatsapp", purpose: "service")).Content.ReadFromJsonAsync<Recorded>();

        var (outcome, reasons, consentEventId) = await DecideAsync(clinic, patient, Channel.WhatsApp, Reminder, Purpose.Service);

        Assert.Equal("Blocked", outcome);
        Assert.Contains(ReasonCodes.ChannelRefused, reasons);
        Assert.Equal(Assert.Single(refusal!.EventIds), consentEventId);
    }

    [Fact]
    public async Task Should_block_when_the_patient_has_no_address_for_the_channel()
    {
        var (clinic, patient) = await PatientAsync(new { email = PatientDataTests.NewAddresses().Email });

        var (outcome, reasons, _) = await DecideAsync(clinic, patient, Channel.Sms, Reminder, Purpose.Service);

        Assert.Equal("Blocked", outcome);
        Assert.Contains(ReasonCodes.NoContactPoint, reasons);
    }

    [Fact]
    public async Task Should_block_marketing_to_an_erased_address_even_under_a_new_record_with_a_grant()
    {
        var email = PatientDataTests.NewAddresses().Email;
        var (clinic, erased) = await PatientAsync(new { email });
        (await clinic.Http.DeleteAsync($"/api/patients/{erased}")).EnsureSuccessStatusCode();
        // What the erasure left is a keyed hash, not the brute-forceable SHA-256 of the address.
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            var hash = await connection.QuerySingleAsync<byte[]>(
                "select address_hash from suppressions where tenant_id = @t and channel = 'email' and reason = 'erased'", new { t = clinic.TenantId });
            Assert.NotEqual(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(email)), hash);
        }

        var returning = Clinic.NewPatient();
        (await clinic.PutContactAsync(returning, new { email })).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(returning, "email")).EnsureSuccessStatusCode();

        var (outcome, reasons, _) = await DecideAsync(clinic, returning, Channel.Email, Promotion, Purpose.Marketing);

        Assert.Equal("Blocked", outcome);
        Assert.Contains(ReasonCodes.Suppressed, reasons);
    }
}

using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using System.Net.Http.Json;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Contacts;
using CommsGateway.Features.Intents;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Intents;

[Collection(GatewayCollection.Name)]
public sealed class DecisionContextTests(GatewayFixture gateway)
{
    private DecisionContextQuery Query => gateway.Services.GetRequiredService<DecisionContextQuery>();

    [Fact]
    public async Task Should_load_contact_consent_with_event_ids_settings_and_pictured_patients()
    {
        var clinic = await Clinic.CreateAsync(gateway, new() { ["consent_lapse_months"] = 24, ["time_zone"] = "Europe/London", ["default_region"] = "GB" });
        var (patient, pictured) = (Clinic.NewPatient(), Clinic.NewPatient());
        (await clinic.PutContactAsync(patient, new { email = "lea@example.fr", phone = "07911 123456", locale = "en" })).EnsureSuccessStatusCode();
        (await clinic.PutContactAsync(pictured, new { email = "photo@example.fr" })).EnsureSuccessStatusCode();
        var grant = await (await clinic.GrantAsync(patient, "whatsapp")).Content.ReadFromJsonAsync<Recorded>();
        (await clinic.WithdrawAsync(patient, "email")).EnsureSuccessStatusCode();
        var photo = await (await clinic.Http.PostAsJsonAsync($"/api/patients/{pictured}/consents",
            new { purpose = "photo_marketing", placement = "newsletter", evidence = Clinic.Evidence() })).Content.ReadFromJsonAsync<Recorded>();

        var context = await Query.LoadAsync(clinic.TenantId, patient, Channel.WhatsApp, [pictured], DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.True(context.TenantKnown);
        Assert.Equal(24, context.Settings.ConsentLapseMonths);
        Assert.Equal("Europe/London", context.Settings.TimeZone);
        Assert.Equal("+447911123456", context.Contact!.AddressFor(Channel.WhatsApp)); // GB region, falls back to the mobile
        Assert.Equal(Assert.Single(grant!.EventIds), context.Consent.Find(ConsentPurpose.Marketing, Channel.WhatsApp)!.EventId);
        Assert.False(context.Consent.Find(ConsentPurpose.Marketing, Channel.Email)!.Granted);
        Assert.Null(context.Consent.Find(ConsentPurpose.Marketing, Channel.Sms));
        Assert.False(context.AddressSuppressed);
        Assert.Equal(Assert.Single(photo!.EventIds), context.PicturedPatientsConsent[pictured].FindPhoto(PhotoPlacement.Newsletter)!.EventId);
    }

    [Fact]
    public async Task Should_report_an_unknown_tenant_without_failing()
    {
        var context = await Query.LoadAsync("no-such-clinic-" + Guid.NewGuid().ToString("N")[..8], "p-1", Channel.Sms, ["p-2"], DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.False(context.TenantKnown);
        Assert.Null(context.Contact);
        Assert.Empty(context.Consent.States);
        Assert.Equal(36, context.Settings.ConsentLapseMonths);
        Assert.Empty(context.PicturedPatientsConsent["p-2"].States);
    }

    [Fact]
    public async Task Should_count_only_marketing_sent_to_the_patient_in_the_last_7_days()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        var now = DateTimeOffset.UtcNow;
        var log = gateway.Services.GetRequiredService<DecisionLog>();
        async Task Append(DateTimeOffset at, DecisionOutcome outcome, Purpose detected, string? who = null) =>
            Assert.True(await log.TryAppendAsync(new DecisionRecord(Guid.NewGuid(), clinic.TenantId, $"i-{Guid.NewGuid():N}", who ?? patient, "campaigns",
                Channel.Email, "campaign", null, Purpose.Marketing, detected, outcome, [], [], null, null, "test", null, at), CancellationToken.None));
        await Append(now.AddDays(-1), DecisionOutcome.Sent, Purpose.Marketing);
        await Append(now.AddDays(-6.9), DecisionOutcome.SentWithMarketingRemoved, Purpose.Marketing);
        await Append(now.AddDays(-7.1), DecisionOutcome.Sent, Purpose.Marketing);          // too old
        await Append(now.AddDays(-1), DecisionOutcome.Blocked, Purpose.Marketing);         // not sent
        await Append(now.AddDays(-1), DecisionOutcome.Sent, Purpose.Service);              // not marketing
        await Append(now.AddDays(-1), DecisionOutcome.Sent, Purpose.Marketing, "someone"); // another patient

        var context = await Query.LoadAsync(clinic.TenantId, patient, Channel.Email, [], now, CancellationToken.None);

        Assert.Equal(2, context.MarketingSentLast7Days);
    }

    [Fact]
    public async Task Should_keep_the_directory_current_from_PatientContactChanged_events()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        var bus = gateway.Services.GetRequiredService<IBus>();
        var contacts = gateway.Services.GetRequiredService<ContactDirectory>();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-5);

        await bus.Publish(new PatientContactChanged { TenantId = clinic.TenantId, PatientId = patient, Email = "Paul@Example.fr", Phone = "06 12 34 56 78", OccurredAt = t0 });
        var contact = await Poll.UntilAsync(() => contacts.FindAsync(clinic.TenantId, patient, CancellationToken.None), c => c is not null);
        Assert.Equal("paul@example.fr", contact!.Email);
        Assert.Equal("+33612345678", contact.Phone);

        // A newer event with an unparseable phone is refused whole; an older event arriving late is ignored.
        await bus.Publish(new PatientContactChanged { TenantId = clinic.TenantId, PatientId = patient, Email = "new@example.fr", Phone = "12", OccurredAt = t0.AddMinutes(2) });
        await bus.Publish(new PatientContactChanged { TenantId = clinic.TenantId, PatientId = patient, Email = "old@example.fr", OccurredAt = t0.AddMinutes(-1) });
        await bus.Publish(new PatientContactChanged { TenantId = clinic.TenantId, PatientId = patient, Email = "latest@example.fr", Phone = "+33 7 81 23 45 67", OccurredAt = t0.AddMinutes(3) });

        contact = await Poll.UntilAsync(() => contacts.FindAsync(clinic.TenantId, patient, CancellationToken.None), c => c?.Email == "latest@example.fr");
        Assert.Equal("+33781234567", contact!.Phone);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
            "select count(*) from contacts where tenant_id = @t and email in ('new@example.fr', 'old@example.fr')", new { t = clinic.TenantId }));
    }
}

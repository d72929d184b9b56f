using System.Net.Http.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Contacts;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Contacts;

[Collection(GatewayCollection.Name)]
public sealed class ContactImportTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Should_import_valid_rows_normalised_and_report_refused_rows_by_line()
    {
        var clinic = await Clinic.CreateAsync(gateway, new() { ["default_region"] = "GB" });
        var contacts = gateway.Services.GetRequiredService<ContactDirectory>();

        var refused = await contacts.ImportAsync(clinic.TenantId,
        [
            (2, "p-a", new ContactDetails { Email = "A@Example.co.uk", Phone = "07911 123456" }),
            (3, "p-b", new ContactDetails { Phone = "12345" }),
            (4, "p-c", new ContactDetails { Email = "nope", TimeZone = "Europe/London" }),
            (5, "p-d", new ContactDetails { WhatsApp = "+33 6 12 34 56 78", LastInteractionAt = DateTimeOffset.UtcNow.AddDays(-3) }),
        ], Actor.Cli("importer"), CancellationToken.None);

        Assert.Equal([3, 4], refused.Select(r => r.Line));
        Assert.Contains("phone:", Assert.Single(refused[0].Errors), StringComparison.Ordinal);
        Assert.Contains("email:", Assert.Single(refused[1].Errors), StringComparison.Ordinal);
        var a = await contacts.FindAsync(clinic.TenantId, "p-a", CancellationToken.None);
        Assert.Equal(("a@example.co.uk", "+447911123456"), (a!.Email, a.Phone));
        Assert.Equal("+33612345678", (await contacts.FindAsync(clinic.TenantId, "p-d", CancellationToken.None))!.WhatsApp);
        Assert.Null(await contacts.FindAsync(clinic.TenantId, "p-b", CancellationToken.None));
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(["p-a", "p-d"], await connection.QueryAsync<string>(
            "select patient_id from admin_audit where tenant_id = @t and action = 'contact.upsert' and on_behalf = 'importer' order by patient_id",
            new { t = clinic.TenantId }));
    }

    [Fact]
    public async Task Should_show_marketing_consent_lapsed_after_the_clinics_period_unless_the_patient_interacted_since()
    {
        var clinic = await Clinic.CreateAsync(gateway, new() { ["consent_lapse_months"] = 24 });
        var (stale, active) = (Clinic.NewPatient(), Clinic.NewPatient());
        (await clinic.PutContactAsync(stale, new { email = "stale@example.fr" })).EnsureSuccessStatusCode();
        (await clinic.PutContactAsync(active, new { email = "active@example.fr", lastInteractionAt = DateTimeOffset.UtcNow.AddMonths(-1) })).EnsureSuccessStatusCode();
        var grantedAt = DateTimeOffset.UtcNow.AddMonths(-25);
        (await clinic.GrantAsync(stale, "email", occurredAt: grantedAt)).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(active, "email", occurredAt: grantedAt)).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(stale, "sms", occurredAt: DateTimeOffset.UtcNow.AddMonths(-23))).EnsureSuccessStatusCode();

        var staleState = await clinic.CurrentAsync(stale);
        var activeState = await clinic.CurrentAsync(active);

        Assert.True(staleState.Single(s => s.Channel == "email").Lapsed);
        Assert.False(staleState.Single(s => s.Channel == "sms").Lapsed);
        Assert.False(Assert.Single(activeState).Lapsed);
    }
}

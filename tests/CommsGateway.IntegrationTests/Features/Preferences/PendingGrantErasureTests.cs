using System.Net;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Preferences;
using CommsGateway.IntegrationTests.Cli;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Preferences;

/// <summary>An email grant waiting for its double opt-in: confirmed once only, and dead after an erasure.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PendingGrantErasureTests(GatewayFixture gateway)
{
    private PreferenceCentre Centre => gateway.Services.GetRequiredService<PreferenceCentre>();

    private async Task<string> RequestAsync(string tenant, string patient)
    {
        await PreferenceCentreRequests.EmailGrantAsync(gateway, tenant, patient, "203.0.113.7");
        var sent = gateway.Fake.Accepted.Last(m => m.Categories.Contains(ConfirmationMailer.ConfirmationCategory) && m.To.Length > 0);
        return sent.Text!.Split('\n').Single(l => l.Contains("/p/confirm/", StringComparison.Ordinal)).Split("/p/confirm/")[1].Trim();
    }

    [Fact]
    public async Task Should_grant_once_on_confirmation_and_never_after_an_erasure()
    {
        var tenant = await PreferenceCentreRequests.ClinicAsync(gateway);
        var (kept, erased) = (Seed.NewPatient(), Seed.NewPatient());
        await Seed.PatientAsync(gateway, tenant, kept, Seed.NewEmail(), null);
        await Seed.PatientAsync(gateway, tenant, erased, Seed.NewEmail(), null);
        var keptCode = await RequestAsync(tenant, kept);
        var erasedCode = await RequestAsync(tenant, erased);
        var confirmer = new PatientEvidence("double_opt_in", IPAddress.Loopback, "Tests/2.0", UnsubscribeLocale.En, null);

        var first = await Centre.ConfirmAsync(keptCode, confirmer, CancellationToken.None);
        var again = await Centre.ConfirmAsync(keptCode, confirmer, CancellationToken.None);
        var erase = await CliRunner.RunAsync(gateway.Services, ["erase", "--tenant", tenant, "--patient", erased, "--yes"]);
        var afterErasure = await Centre.ConfirmAsync(erasedCode, confirmer, CancellationToken.None);

        Assert.True(first?.Confirmed);
        Assert.False(again?.Confirmed);
        Assert.Equal(first!.EventId, again!.EventId);
        var grant = Assert.Single(await Seed.LedgerAsync(gateway, tenant, kept));
        Assert.Equal(("email", "grant", "preference_centre", "203.0.113.7", "Tests/1.0"), (grant.Channel, grant.Action, grant.Source, grant.Ip, grant.UserAgent));
        Assert.Contains("\"confirmed_user_agent\": \"Tests/2.0\"", grant.Evidence, StringComparison.Ordinal);

        Assert.Equal(0, erase.ExitCode);
        Assert.False(afterErasure?.Confirmed);
        Assert.Empty(await Seed.LedgerAsync(gateway, tenant, erased));
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<(string? Ip, string? UserAgent)>(
            "select host(request_ip), request_user_agent from preference_pending_grants where tenant_id = @tenant and patient_id = @erased", new { tenant, erased });
        Assert.Equal((null, null), row);
    }
}

using System.Net;
using System.Net.Http.Headers;
using CommsGateway.Contracts;
using CommsGateway.IntegrationTests.Cli;
using CommsGateway.IntegrationTests.Infrastructure;

namespace CommsGateway.IntegrationTests.Features.Preferences;

/// <summary>The DPO's export as a document the patient reads: `commsgw export --format html` and the admin API's ?format=html.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AccessReportTests(GatewayFixture gateway)
{
    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(gateway.Services, args);

    [Fact]
    public async Task Should_write_contact_points_consent_history_and_decisions_in_plain_words()
    {
        var tenant = Seed.NewTenant();
        var add = await RunAsync("tenant", "add", tenant, "--name", "Clinique des Tilleuls", "--email-from", "rdv@tilleuls.example",
            "--sms-from", "+33700000123");
        var key = add.Out.Trim().Split('\n')[^1].Trim();
        var patient = Seed.NewPatient();
        var email = Seed.NewEmail();
        await Seed.PatientAsync(gateway, tenant, patient, email, Seed.NewMobile(), Channel.Email);
        var sent = await Seed.DecideAsync(gateway, Seed.Marketing(tenant, patient, Channel.Email));
        var blocked = await Seed.DecideAsync(gateway, Seed.Marketing(tenant, patient, Channel.Sms));

        var fr = await RunAsync("export", "--tenant", tenant, "--patient", patient, "--format", "html", "--locale", "fr");
        using var client = gateway.Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var api = await client.GetAsync($"/api/patients/{patient}/export?format=html&lang=en");
        var en = await api.Content.ReadAsStringAsync();
        using var json = await client.GetAsync($"/api/patients/{patient}/export");

        Assert.Equal(("Sent", "Blocked"), (sent.Outcome, blocked.Outcome));
        Assert.Equal(0, fr.ExitCode);
        Assert.Contains("<html lang=\"fr\">", fr.Out, StringComparison.Ordinal);
        Assert.Contains("Vos données de communication", fr.Out, StringComparison.Ordinal);
        Assert.Contains(email, fr.Out, StringComparison.Ordinal);
        Assert.Contains("accord donné", fr.Out, StringComparison.Ordinal);
        Assert.Contains("<strong>Envoyé</strong> — message commercial : vous aviez donné votre accord pour ce canal", fr.Out, StringComparison.Ordinal);
        Assert.Contains("<strong>Non envoyé</strong> — message commercial sans votre accord pour ce canal", fr.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(ReasonCodes.NoMarketingConsent, fr.Out, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal("text/html", api.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Your communication data", en, StringComparison.Ordinal);
        Assert.Contains("<strong>Not sent</strong> — marketing without your consent on this channel", en, StringComparison.Ordinal);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
    }
}

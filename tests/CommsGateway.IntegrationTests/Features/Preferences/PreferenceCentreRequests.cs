using System.Net;
using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Preferences;
using CommsGateway.IntegrationTests.Cli;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Preferences;

/// <summary>What the patient-page tests set up the same way: a clinic that sends email, and an email grant asked for on the preference centre.</summary>
internal static class PreferenceCentreRequests
{
    public static readonly ConsentItem Email = new(ConsentPurpose.Marketing, Channel.Email, null);

    /// <summary>A new clinic with an email sender (the CLI's `tenant add`), and its id.</summary>
    public static async Task<string> ClinicAsync(GatewayFixture gateway)
    {
        var tenant = Seed.NewTenant();
        await CliRunner.RunAsync(gateway.Services, ["tenant", "add", tenant, "--name", "Cabinet", "--email-from", "rdv@cabinet.example"]);
        return tenant;
    }

    /// <summary>A ticked email marketing box with its English wording, from <paramref name="ip"/>: the double opt-in email goes out.</summary>
    public static async Task<GrantResult> EmailGrantAsync(GatewayFixture gateway, string tenant, string patient, string ip)
    {
        var wording = ConsentWordings.For(Email, UnsubscribeLocale.En);
        var result = await gateway.Services.GetRequiredService<PreferenceCentre>().RequestGrantAsync(tenant, patient, Email, ticked: true,
            wording.Version, wording.Sha256, new PatientEvidence("preference_centre", IPAddress.Parse(ip), "Tests/1.0", UnsubscribeLocale.En, null),
            new Uri("http://127.0.0.1:5080"), CancellationToken.None);
        Assert.Equal(GrantOutcome.ConfirmationSent, result.Outcome);
        return result;
    }
}

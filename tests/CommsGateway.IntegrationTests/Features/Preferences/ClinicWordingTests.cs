using System.Net;
using System.Text.RegularExpressions;
using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.IntegrationTests.Cli;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Preferences;

/// <summary>`commsgw consent wording add`: the clinic's own text is what its patients tick, and what the ledger proves.</summary>
[Collection(GatewayCollection.Name)]
public sealed partial class ClinicWordingTests(GatewayFixture gateway)
{
    private const string Text = "J'accepte que la Clinique des Tilleuls m'envoie ses offres par SMS, deux fois par mois au plus.";

    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(gateway.Services, args);

    [GeneratedRegex("name=\"(?<name>__RequestVerificationToken[^\"]*)\" value=\"(?<value>[^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [Fact]
    public async Task Should_show_the_clinic_wording_and_record_its_version_and_hash_on_a_grant()
    {
        var tenant = Seed.NewTenant();
        await RunAsync("tenant", "add", tenant, "--name", "Clinique des Tilleuls");
        var patient = Seed.NewPatient();
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), Seed.NewMobile());
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, Text + "\n");
        var add = await RunAsync("consent", "wording", "add", "--tenant", tenant, "--item", "marketing.sms", "--locale", "fr", "--version", "tilleuls-sms-2", "--text-file", file);
        var other = Path.GetTempFileName();
        await File.WriteAllTextAsync(other, "Un autre texte.");
        var reuse = await RunAsync("consent", "wording", "add", "--tenant", tenant, "--item", "marketing.sms", "--locale", "fr", "--version", "tilleuls-sms-2", "--text-file", other);
        var link = await gateway.Services.GetRequiredService<UnsubscribeLinks>().IssueAsync(tenant, patient, Channel.Sms, UnsubscribeScope.Channel,
            UnsubscribeLocale.Fr, null, CancellationToken.None);
        var grantPath = link.AbsolutePath.Replace("/u/", "/p/", StringComparison.Ordinal) + "/grant/marketing.sms";
        using var client = gateway.Factory.CreateClient();

        var form = await client.GetStringAsync(grantPath);
        var field = AntiforgeryField().Match(form);
        var sha = Regex.Match(form, "name=\"wording_sha256\" value=\"([0-9a-f]{64})\"").Groups[1].Value;
        using var post = await client.PostAsync(grantPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [field.Groups["name"].Value] = field.Groups["value"].Value,
            ["wording_version"] = "tilleuls-sms-2",
            ["wording_sha256"] = sha,
            ["agree"] = "yes",
        }));

        Assert.Equal(0, add.ExitCode);
        Assert.Equal(2, reuse.ExitCode);
        Assert.Contains("already holds another text", reuse.Console, StringComparison.Ordinal);
        Assert.Contains("J&#39;accepte que la Clinique des Tilleuls", form, StringComparison.Ordinal);
        Assert.True(field.Success);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var grant = Assert.Single(await Seed.LedgerAsync(gateway, tenant, patient));
        Assert.Equal(("sms", "grant", "preference_centre", "tilleuls-sms-2"), (grant.Channel, grant.Action, grant.Source, grant.WordingVersion));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Text))), grant.WordingSha256!.ToLowerInvariant());
        // The preference centre shows the clinic's text behind the recorded version.
        Assert.Contains("J&#39;accepte que la Clinique des Tilleuls", await client.GetStringAsync(link.AbsolutePath.Replace("/u/", "/p/", StringComparison.Ordinal)), StringComparison.Ordinal);
    }
}

using CommsGateway.Contracts;
using CommsGateway.IntegrationTests.Infrastructure;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>`commsgw tenant add|set|sender` store a clinic's sender identity; the running gateway uses it at once.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TenantSenderCommandTests(GatewayFixture gateway)
{
    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(gateway.Services, args);

    [Fact]
    public async Task Should_add_a_clinic_with_its_email_sender_then_set_its_sms_sender_without_a_restart()
    {
        var tenant = Seed.NewTenant();
        var add = await RunAsync("tenant", "add", tenant, "--name", "Clinique des Tilleuls", "--email-from", "rdv@tilleuls.example",
            "--email-from-name", "Clinique des Tilleuls", "--help-contact", "01 11 22 33 44");
        var patient = Seed.NewPatient();
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), Seed.NewMobile());
        var blocked = await Seed.DecideAsync(gateway, Seed.Service(tenant, patient, Channel.Sms));

        var set = await RunAsync("tenant", "set", tenant, "--sms-from", "+33700000123", "--actor", "ops");
        var sms = Seed.Service(tenant, patient, Channel.Sms);
        var sent = await Seed.DecideAsync(gateway, sms);
        var show = await RunAsync("tenant", "sender", tenant, "--show");

        Assert.Equal(0, add.ExitCode);
        Assert.Contains("no sms sender", add.Error, StringComparison.Ordinal);
        Assert.Equal([ReasonCodes.NoSenderIdentity], blocked.Reasons);
        Assert.Equal(0, set.ExitCode);
        Assert.Equal("Sent", sent.Outcome);
        await gateway.WaitForDecidedAsync(sms.IntentId);
        Assert.Equal("+33700000123", Assert.Single(gateway.Fake.Accepted, m => m.IntentId == sms.IntentId).From);
        Assert.Contains("email_from: rdv@tilleuls.example", show.Out, StringComparison.Ordinal);
        Assert.Contains("sms_from: +33700000123", show.Out, StringComparison.Ordinal);
        Assert.Contains("help_contact: 01 11 22 33 44", show.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--sms-from", "06 12")]
    [InlineData("--whatsapp-from", "whatsapp:+33700000002")]
    [InlineData("--email-from", "not-an-address")]
    [InlineData("--messaging-service-sid", "MG123")]
    public async Task Should_refuse_a_malformed_sender_and_store_nothing(string option, string value)
    {
        var tenant = Seed.NewTenant();
        await RunAsync("tenant", "add", tenant, "--name", "Cabinet");

        var result = await RunAsync("tenant", "sender", tenant, option, value);
        var show = await RunAsync("tenant", "sender", tenant, "--show");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option[2..].Replace('-', '_'), result.Console, StringComparison.Ordinal);
        Assert.DoesNotContain(value, show.Out, StringComparison.Ordinal);
    }
}

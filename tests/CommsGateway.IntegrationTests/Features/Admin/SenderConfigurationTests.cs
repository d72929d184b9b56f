using CommsGateway.Core.Policy;
using CommsGateway.Features.Admin;
using CommsGateway.Hosting;
using CommsGateway.IntegrationTests.Infrastructure;
using CommsGateway.Providers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsGateway.IntegrationTests.Features.Admin;

/// <summary>Configuration senders: a default across clinics stops the start-up; per-clinic entries only seed empty fields.</summary>
[Collection(OwnHostCollection.Name)]
public sealed class SenderConfigurationTests
{
    [Fact]
    public async Task Should_refuse_to_start_with_a_default_sender()
    {
        await using var app = GatewayHost.Build(["--urls", "http://127.0.0.1:0", "--environment", "Testing"], builder =>
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SendGrid:ApiKey"] = "SG.test",
                ["Twilio:AccountSid"] = "ACtest",
                ["Twilio:AuthToken"] = "test",
                ["Senders:Default:EmailFrom"] = "rendez-vous@clinique-des-lilas.example",
            }));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Equal(typeof(SenderOptions), error.OptionsType);
        Assert.StartsWith("Senders:Default is not supported", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_seed_only_the_fields_a_clinic_has_not_stored_from_Senders_Tenants()
    {
        await using var servers = await TestServers.StartAsync();
        var settings = servers.GatewaySettings();
        settings["Senders:Tenants:seeded:EmailFrom"] = "from-config@seeded.example";
        settings["Senders:Tenants:seeded:SmsFrom"] = "+33700000555";
        settings["Senders:Tenants:not-a-clinic:SmsFrom"] = "+33700000556";

        // The clinic exists, with its own email sender, before the gateway starts with the configuration.
        await using (var dataSource = Npgsql.NpgsqlDataSource.Create(servers.ConnectionString))
        {
            await CommsGateway.Data.MigrationRunner.ApplyAsync(dataSource, CancellationToken.None);
            await using var connection = await dataSource.OpenConnectionAsync();
            await Dapper.SqlMapper.ExecuteAsync(connection,
                "insert into tenants (tenant_id, name, email_from) values ('seeded', 'Seeded clinic', 'own@seeded.example')");
        }

        await using var second = GatewayHost.Build(["--urls", "http://127.0.0.1:0", "--environment", "Testing"], b => b.Configuration.AddInMemoryCollection(settings));
        await second.StartAsync();
        var directory = second.Services.GetRequiredService<TenantDirectory>();
        var sender = (await directory.FindAsync("seeded", CancellationToken.None))!.Sender;
        await second.StopAsync();

        Assert.Equal(("own@seeded.example", "+33700000555"), (sender.EmailFrom, sender.SmsFrom));
        Assert.Null(await directory.FindAsync("not-a-clinic", CancellationToken.None));
    }
}

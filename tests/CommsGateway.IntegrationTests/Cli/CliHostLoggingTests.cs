extern alias cli;

using CommsGateway.Core.Privacy;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using CliHost = cli::CommsGateway.Cli.CliHost;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>The admin commands' host (import, export, erase ...) masks contact data in its logs like the gateway does.</summary>
[Collection(GatewayCollection.Name)]
public sealed class CliHostLoggingTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Should_mask_contact_data_in_the_cli_hosts_logs()
    {
        var logs = new CapturingLoggerProvider();
        using var host = await CliHost.StartAsync(CancellationToken.None, builder =>
        {
            builder.Configuration["Database:ConnectionString"] = gateway.Servers.ConnectionString;
            // The gateway's environment and hence its (committed) suppression hash key: Production would refuse it, and
            // another key would re-key the shared database's legacy suppressions under a key the gateway does not hold.
            builder.Environment.EnvironmentName = "Testing";
            builder.Services.AddSingleton<ILoggerProvider>(logs);
        });
        var logger = host.Services.GetRequiredService<ILogger<CliHostLoggingTests>>();
        var marker = Guid.NewGuid().ToString("N");

        logger.LogWarning("import {Marker}: row for {Email} / {Phone} skipped", marker, "jeanne.import@example.org", "+33 6 12 34 56 78");
        await host.StopAsync();

        var entry = Assert.Single(logs.Entries, e => e.Contains(marker, StringComparison.Ordinal));
        Assert.DoesNotContain("jeanne.import", entry, StringComparison.Ordinal);
        Assert.DoesNotContain("12 34 56 78", entry, StringComparison.Ordinal);
        Assert.Contains(PersonalDataMask.EmailToken, entry, StringComparison.Ordinal);
    }
}

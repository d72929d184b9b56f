using System.Net;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace CommsGateway.IntegrationTests.Features.DevOutbox;

/// <summary>
/// /dev/outbox shows patients' messages: outside Development and Testing the route must not exist at all, even with
/// fake providers configured. The real gateway, started in Production on the real servers, answers 404 there.
/// </summary>
public sealed class DevOutboxEnvironmentTests
{
    [Theory]
    [InlineData("Production", HttpStatusCode.NotFound)]
    [InlineData("Testing", HttpStatusCode.OK)]
    public async Task Should_serve_the_dev_outbox_only_in_Development_and_Testing(string environment, HttpStatusCode expected)
    {
        await using var servers = await TestServers.StartAsync();
        await using var fake = await FakeProviderServer.StartAsync();
        var settings = servers.GatewaySettings();
        foreach (var (key, value) in FakeProviderSettings.For(fake))
        {
            settings[key] = value;
        }

        settings["Retention:Enabled"] = "false";
        if (environment == "Production")
        {
            // Production refuses the committed unsubscribe keys and http links (UnsubscribeProductionGuard).
            settings["Unsubscribe:ActiveKeyId"] = "prod-outbox";
            settings["Unsubscribe:Keys:0:Id"] = "prod-outbox";
            settings["Unsubscribe:Keys:0:Secret"] = Convert.ToBase64String(Enumerable.Repeat((byte)3, 32).ToArray());
            settings["Unsubscribe:SubscriberKey"] = Convert.ToBase64String(Enumerable.Repeat((byte)5, 32).ToArray());
            settings["Privacy:AddressHashKey"] = Convert.ToBase64String(Enumerable.Repeat((byte)6, 32).ToArray()); // PrivacyOptionsValidator
            settings["Review:ContentKey"] = Convert.ToBase64String(Enumerable.Repeat((byte)8, 32).ToArray()); // ReviewOptionsValidator
            settings["Gateway:PublicBaseUrl"] = "https://gw.clinique.example";
        }

        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment(environment);
            web.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
        });
        using var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode); // the host is up
        Assert.Equal(expected, (await client.GetAsync(new Uri("/dev/outbox", UriKind.Relative))).StatusCode);
    }
}

using System.Net;
using System.Text.Json;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace CommsGateway.IntegrationTests.Observability;

/// <summary>A gateway on its own private PostgreSQL, which this test stops and starts again.</summary>
public sealed class ReadinessTests : IAsyncLifetime
{
    private TestServers _servers = null!;
    private PrivatePostgres _postgres = null!;
    private WebApplicationFactory<Program> _factory = null!;

    public async Task InitializeAsync()
    {
        _servers = await TestServers.StartAsync();
        _postgres = await PrivatePostgres.StartAsync();
        var settings = _servers.GatewaySettings();
        settings["Database:ConnectionString"] = _postgres.ConnectionString;
        settings["Gateway:SweepErrorQueue"] = "false";
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
        });
        _ = _factory.Server;
    }

    [Fact]
    public async Task Should_go_red_when_PostgreSQL_stops_and_green_when_it_returns()
    {
        using var client = _factory.CreateClient();

        var up = await WaitForAsync(client, HttpStatusCode.OK);
        Assert.Equal("Healthy", Check(up, "postgresql"));
        Assert.Equal("Healthy", Check(up, "masstransit-bus"));

        await _postgres.StopServerAsync();
        var down = await WaitForAsync(client, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("Unhealthy", down.RootElement.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", Check(down, "postgresql"));
        Assert.Equal("Healthy", Check(down, "masstransit-bus"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);

        await _postgres.StartServerAsync();
        var back = await WaitForAsync(client, HttpStatusCode.OK);
        Assert.Equal("Healthy", Check(back, "postgresql"));
    }

    private static string? Check(JsonDocument report, string name) =>
        report.RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == name).GetProperty("status").GetString();

    /// <summary>Polls /health/ready until it answers the expected status; returns that body (or the last one).</summary>
    private static async Task<JsonDocument> WaitForAsync(HttpClient client, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == expected || DateTime.UtcNow > deadline)
            {
                Assert.Equal(expected, response.StatusCode);
                return JsonDocument.Parse(body);
            }

            await Task.Delay(250);
        }
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _postgres.DisposeAsync();
        await _servers.DisposeAsync();
    }
}

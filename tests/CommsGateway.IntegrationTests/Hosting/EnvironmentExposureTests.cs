using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CommsGateway.Core.Policy;
using CommsGateway.Features.Admin;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Hosting;

/// <summary>
/// The same gateway in Development and in Production: errors are the same problem+json (no developer page, no stack,
/// no header echoed); /openapi and /metrics are public in Development only, behind a key in Production.
/// Each test runs its own gateway on its own database and vhost.
/// </summary>
[Collection(OwnHostCollection.Name)]
public sealed class EnvironmentExposureTests
{
    /// <summary>Production settings that pass the start-up guards: keys of its own, an https address.</summary>
    private static Dictionary<string, string?> Production() => new()
    {
        ["Unsubscribe:ActiveKeyId"] = "prod-2026",
        ["Unsubscribe:Keys:0:Id"] = "prod-2026",
        ["Unsubscribe:Keys:0:Secret"] = Convert.ToBase64String(Enumerable.Repeat((byte)3, 32).ToArray()),
        ["Unsubscribe:SubscriberKey"] = Convert.ToBase64String(Enumerable.Repeat((byte)5, 32).ToArray()),
        ["Privacy:AddressHashKey"] = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray()),
        ["Review:ContentKey"] = Convert.ToBase64String(Enumerable.Repeat((byte)11, 32).ToArray()),
        ["Gateway:PublicBaseUrl"] = "https://gw.clinique.example",
    };

    private static async Task<(TestServers Servers, WebApplicationFactory<Program> Factory)> StartAsync(string environment)
    {
        var servers = await TestServers.StartAsync();
        var settings = servers.GatewaySettings();
        foreach (var (key, value) in environment == "Production" ? Production() : [])
        {
            settings[key] = value;
        }

        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment(environment);
            web.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
        });
        _ = factory.Server;
        return (servers, factory);
    }

    private static async Task<string> ClinicKeyAsync(WebApplicationFactory<Program> factory) =>
        await factory.Services.GetRequiredService<TenantDirectory>().AddTenantAsync("env-clinic", "Env clinic", new Dictionary<string, object?>(),
            ClinicSender.None, "tests", new Actor("test"), CancellationToken.None);

    private static HttpClient Client(WebApplicationFactory<Program> factory, string? key = null)
    {
        var http = factory.CreateClient();
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task Should_answer_a_malformed_admin_request_with_a_problem_and_no_stack_or_header(string environment)
    {
        var (servers, factory) = await StartAsync(environment);
        await using (servers)
        await using (factory)
        {
            var key = await ClinicKeyAsync(factory);
            using var http = Client(factory, key);
            using var content = new StringContent("{\"purpose\": [1, 2", Encoding.UTF8, "application/json");

            using var response = await http.PostAsync(new Uri("/api/patients/p-1/consents", UriKind.Relative), content);

            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("urn:commsgw:problem:bad-request", JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
            Assert.DoesNotContain(key.Split('.')[1], body, StringComparison.Ordinal);
            Assert.DoesNotContain("Bearer", body, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
            Assert.DoesNotContain("<html", body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Should_serve_openapi_and_metrics_openly_in_Development()
    {
        var (servers, factory) = await StartAsync("Development");
        await using (servers)
        await using (factory)
        {
            using var http = Client(factory);

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        }
    }

    [Fact]
    public async Task Should_keep_openapi_and_metrics_behind_a_key_in_Production()
    {
        var (servers, factory) = await StartAsync("Production");
        await using (servers)
        await using (factory)
        {
            var clinicKey = await ClinicKeyAsync(factory);
            var operatorKey = await factory.Services.GetRequiredService<TenantDirectory>().IssueOperatorKeyAsync("prometheus", new Actor("test"), CancellationToken.None);
            using var anonymous = Client(factory);
            using var clinic = Client(factory, clinicKey);
            using var op = Client(factory, operatorKey);

            using var openApiAnonymous = await anonymous.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
            using var metricsAnonymous = await anonymous.GetAsync(new Uri("/metrics", UriKind.Relative));

            Assert.Equal(HttpStatusCode.Unauthorized, openApiAnonymous.StatusCode);
            Assert.NotEmpty(openApiAnonymous.Headers.WwwAuthenticate);
            Assert.Equal(HttpStatusCode.Unauthorized, metricsAnonymous.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await clinic.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await clinic.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await op.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
            // What stays public in Production: health, the unsubscribe pages, the webhooks (signed).
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
        }
    }
}

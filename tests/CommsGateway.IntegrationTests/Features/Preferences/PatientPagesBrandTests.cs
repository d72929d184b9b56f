using System.Net;
using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.IntegrationTests.Cli;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Preferences;

/// <summary>`commsgw tenant set --brand-*` validates and stores the clinic's look; every patient page shows it at once.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PatientPagesBrandTests(GatewayFixture gateway)
{
    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(gateway.Services, args);

    private async Task<string> PageAsync(string path)
    {
        using var client = gateway.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("img-src https:", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Should_show_the_clinic_brand_on_the_unsubscribe_and_preference_pages()
    {
        var tenant = Seed.NewTenant();
        await RunAsync("tenant", "add", tenant, "--name", "Cabinet Tilleuls");
        var patient = Seed.NewPatient();
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), Seed.NewMobile());

        var set = await RunAsync("tenant", "set", tenant, "--brand-name", "Clinique des Tilleuls", "--brand-logo-url", "https://tilleuls.example/logo.png",
            "--brand-color", "#0f766e", "--brand-contact", "01 11 22 33 44", "--privacy-notice-url", "https://tilleuls.example/confidentialite");
        var link = await gateway.Services.GetRequiredService<UnsubscribeLinks>().IssueAsync(tenant, patient, Channel.Sms, UnsubscribeScope.Channel,
            UnsubscribeLocale.Fr, null, CancellationToken.None);
        var unsubscribe = await PageAsync(link.PathAndQuery);
        var preferences = await PageAsync(link.PathAndQuery.Replace("/u/", "/p/", StringComparison.Ordinal));

        Assert.Equal(0, set.ExitCode);
        foreach (var html in new[] { unsubscribe, preferences })
        {
            Assert.Contains("<span class=\"clinic\">Clinique des Tilleuls</span>", html, StringComparison.Ordinal);
            Assert.Contains("<img src=\"https://tilleuls.example/logo.png\"", html, StringComparison.Ordinal);
            Assert.Contains("--brand: #0f766e;", html, StringComparison.Ordinal);
            Assert.Contains("01 11 22 33 44", html, StringComparison.Ordinal);
            Assert.Contains("href=\"https://tilleuls.example/confidentialite\"", html, StringComparison.Ordinal);
        }

        // The SMS link's page leads to the preferences (SMS carries one link only).
        Assert.Contains($"href=\"/p/{link.AbsolutePath["/u/".Length..]}\"", unsubscribe, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--brand-color", "#ffff00", "contrast")]
    [InlineData("--brand-color", "teal", "brand_color")]
    [InlineData("--brand-logo-url", "http://tilleuls.example/logo.png", "https")]
    [InlineData("--privacy-notice-url", "tilleuls.example/privacy", "https")]
    public async Task Should_refuse_an_unreadable_colour_or_a_non_https_link_and_store_nothing(string option, string value, string said)
    {
        var tenant = Seed.NewTenant();
        await RunAsync("tenant", "add", tenant, "--name", "Cabinet");

        var result = await RunAsync("tenant", "set", tenant, option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(said, result.Console, StringComparison.Ordinal);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var stored = await connection.QuerySingleAsync<(string?, string?, string?)>(
            "select brand_color, brand_logo_url, privacy_notice_url from tenants where tenant_id = @tenant", new { tenant });
        Assert.Equal((null, null, null), stored);
    }

    [Fact]
    public async Task Should_show_the_current_state_when_a_used_link_is_reopened_and_keep_one_click_as_it_is()
    {
        var tenant = Seed.NewTenant();
        await RunAsync("tenant", "add", tenant, "--name", "Cabinet");
        var patient = Seed.NewPatient();
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), Seed.NewMobile());
        var link = await gateway.Services.GetRequiredService<UnsubscribeLinks>().IssueAsync(tenant, patient, Channel.Email, UnsubscribeScope.Channel,
            UnsubscribeLocale.En, "spring", CancellationToken.None);
        using var client = gateway.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        var before = await PageAsync(link.PathAndQuery);
        using var oneClick = await client.PostAsync(link.PathAndQuery, new StringContent("List-Unsubscribe=One-Click", System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));
        var after = await PageAsync(link.PathAndQuery);

        Assert.Contains("name=\"scope\" value=\"channel\"", before, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, oneClick.StatusCode);
        Assert.Null(oneClick.Headers.Location);
        Assert.False(oneClick.Headers.Contains("Set-Cookie"));
        Assert.Contains("You are already unsubscribed", after, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"scope\"", after, StringComparison.Ordinal);
        Assert.Contains("grant/marketing.email?from=undo", after, StringComparison.Ordinal);
    }
}

using CommsGateway.BrowserTests.Infrastructure;
using CommsGateway.BrowserTests.Preferences;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Playwright;

namespace CommsGateway.BrowserTests.Unsubscribe;

/// <summary>A patient opens the link of a marketing email the gateway rendered, in a real browser, and unsubscribes.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class UnsubscribePageTests(Chromium chromium, KestrelGateway gateway) : BrowserTest(chromium), IClassFixture<KestrelGateway>
{
    private sealed record EventRow(string PatientId, string Channel, string Scope, string Method, string? Ip, string? UserAgent);

    /// <summary>
    /// The link of a marketing email the running gateway really decided, rendered and handed to the (fake) SendGrid:
    /// the patient is on record with an email marketing grant, the intent goes over RabbitMQ like any campaign's.
    /// </summary>
    private async Task<Uri> RenderedLinkAsync(string patientId, string locale)
    {
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("insert into tenants (tenant_id, name) values (@tenant, @name) on conflict do nothing",
                new { tenant = KestrelGateway.Tenant, name = KestrelGateway.ClinicName });
            await TestSenders.StoreAsync(connection, KestrelGateway.Tenant);
            await connection.ExecuteAsync("""
                insert into contacts (tenant_id, patient_id, email, locale, time_zone, updated_by)
                values (@tenant, @patientId, @email, @locale, 'Europe/Paris', 'tests');
                """, new { tenant = KestrelGateway.Tenant, patientId, email = patientId + "@example.fr", locale });
        }

        await TestConsents.AppendAsync(gateway.Db, [TestConsents.MarketingGrant(KestrelGateway.Tenant, patientId, "email")]);

        var sent = await PatientPages.MarketingEmailAsync(gateway, patientId, locale);
        Assert.Equal(patientId + "@example.fr", sent.To);
        Assert.Equal("List-Unsubscribe=One-Click", sent.Headers["List-Unsubscribe-Post"]);
        var link = new Uri(sent.Headers["List-Unsubscribe"].Trim('<', '>'));
        Assert.Contains(link.AbsoluteUri, sent.Text, StringComparison.Ordinal);
        Assert.Contains($"href=\"{link.AbsoluteUri}\"", sent.Html, StringComparison.Ordinal);
        Assert.StartsWith(gateway.BaseUrl.AbsoluteUri + "u/", link.AbsoluteUri, StringComparison.Ordinal);
        return link;
    }

    private async Task<IReadOnlyList<(string Channel, string Action, string Source)>> LedgerAsync(string patientId)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return (await connection.QueryAsync<(string, string, string)>(
            "select channel, action, source from consent_events where tenant_id = @tenant and patient_id = @patientId order by event_id",
            new { tenant = KestrelGateway.Tenant, patientId })).ToList();
    }

    private async Task<IReadOnlyList<EventRow>> EventsAsync(string patientId)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return (await connection.QueryAsync<EventRow>(
            "select patient_id, channel, scope, method, host(ip) as ip, user_agent from unsubscribe_events where tenant_id = @tenant and patient_id = @patientId order by seq",
            new { tenant = KestrelGateway.Tenant, patientId })).ToList();
    }

    [Fact]
    public async Task Should_unsubscribe_from_email_marketing_with_one_click_on_the_page()
    {
        var patientId = "p-" + Guid.NewGuid().ToString("N")[..8];
        var link = await RenderedLinkAsync(patientId, "fr");
        var page = await Pages.NewPageAsync(new BrowserNewContextOptions { Locale = "fr-FR" });

        var response = await page.GotoAsync(link.AbsoluteUri);

        Assert.Equal(200, response?.Status);
        Assert.Equal("fr", await page.GetAttributeAsync("html", "lang"));
        Assert.Contains(KestrelGateway.ClinicName, await page.InnerTextAsync("main"), StringComparison.Ordinal);
        Assert.Empty(await EventsAsync(patientId)); // opening the page changed nothing
        Assert.Single(await LedgerAsync(patientId));

        await page.GetByRole(AriaRole.Button, new() { Name = "Ne plus recevoir d'offres par e-mail" }).ClickAsync();
        var confirmation = page.GetByRole(AriaRole.Heading, new() { Name = "Désinscription confirmée" });
        await confirmation.WaitForAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Chromium.ArtefactPath("unsubscribe-confirmation.png"), FullPage = true });

        Assert.Equal(link.AbsoluteUri, page.Url); // no redirect
        Assert.Contains("de Clinique Belle Peau", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        var row = Assert.Single(await EventsAsync(patientId));
        Assert.Equal((patientId, "email", "channel", "page", "127.0.0.1"), (row.PatientId, row.Channel, row.Scope, row.Method, row.Ip));
        Assert.Contains("Chrome", row.UserAgent, StringComparison.Ordinal);
        Assert.Equal([("email", "grant", "web_form"), ("email", "withdraw", "unsubscribe_link")], await LedgerAsync(patientId));
        Assert.Empty(await page.Context.CookiesAsync());
    }

    [Fact]
    public async Task Should_unsubscribe_from_all_marketing_in_english()
    {
        var patientId = "p-" + Guid.NewGuid().ToString("N")[..8];
        var link = await RenderedLinkAsync(patientId, "en");
        var page = await Pages.NewPageAsync();

        await page.GotoAsync(link.AbsoluteUri);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Chromium.ArtefactPath("unsubscribe-choice-en.png"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop all marketing (email, SMS, WhatsApp)" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "You are unsubscribed" }).WaitForAsync();

        var rows = await EventsAsync(patientId);
        Assert.Equal(["email", "sms", "whatsapp"], rows.Select(r => r.Channel).Order());
        Assert.All(rows, r => Assert.Equal("all_marketing", r.Scope));
    }

    [Fact]
    public async Task Should_show_the_neutral_page_for_a_forged_link()
    {
        var patientId = "p-" + Guid.NewGuid().ToString("N")[..8];
        var link = await RenderedLinkAsync(patientId, "en");
        var token = link.AbsolutePath["/u/".Length..];
        var forged = new Uri(gateway.BaseUrl, "/u/" + token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1]);
        var page = await Pages.NewPageAsync(new BrowserNewContextOptions { Locale = "en-GB" });

        var response = await page.GotoAsync(forged.AbsoluteUri);

        Assert.Equal(400, response?.Status);
        Assert.Equal(0, await page.GetByRole(AriaRole.Button).CountAsync());
        Assert.Contains("not valid", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        Assert.Empty(await EventsAsync(patientId));
    }
}

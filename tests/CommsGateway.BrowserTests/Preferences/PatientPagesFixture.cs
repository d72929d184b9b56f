using System.Text.Json;
using CommsGateway.BrowserTests.Infrastructure;
using CommsGateway.Contracts;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Deque.AxeCore.Playwright;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CommsGateway.BrowserTests.Preferences;

/// <summary>One consent ledger row with its evidence, as the flows assert it.</summary>
public sealed record LedgerRow(
    long EventId, string Purpose, string? Channel, string? Placement, string Action, string Source, string? WordingVersion,
    string? WordingSha256, string? CapturedBy, string? Ip, string? UserAgent, string Evidence, string RecordedBy)
{
    public JsonElement EvidenceJson => JsonDocument.Parse(Evidence).RootElement;
}

/// <summary>What the patient-page tests share: seeding a patient, the message the gateway really sent, the ledger, axe.</summary>
public static class PatientPages
{
    /// <summary>A phone the size of a Pixel 7 / Galaxy S2x: the pages are phone-first.</summary>
    public static BrowserNewContextOptions Phone(string locale) => new()
    {
        ViewportSize = new ViewportSize { Width = 412, Height = 915 },
        Locale = locale,
    };

    public static async Task SeedAsync(KestrelGateway gateway, string patientId, string locale, params (string Channel, string Action)[] marketing)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into tenants (tenant_id, name) values (@tenant, @name) on conflict do nothing;
            update tenants set brand_color = '#0f766e', brand_contact = '01 23 45 67 89 · accueil@belle-peau.example',
                privacy_notice_url = 'https://belle-peau.example/confidentialite'
            where tenant_id = @tenant;
            """, new { tenant = KestrelGateway.Tenant, name = KestrelGateway.ClinicName });
        await TestSenders.StoreAsync(connection, KestrelGateway.Tenant);
        await connection.ExecuteAsync("""
            insert into contacts (tenant_id, patient_id, email, phone_e164, locale, time_zone, updated_by)
            values (@tenant, @patientId, @email, '+33612345678', @locale, 'Europe/Paris', 'tests')
            """, new { tenant = KestrelGateway.Tenant, patientId, email = Email(patientId), locale });
        await TestConsents.AppendAsync(gateway.Db, marketing.Select(m => m.Action == "grant"
            ? TestConsents.MarketingGrant(KestrelGateway.Tenant, patientId, m.Channel)
            : TestConsents.MarketingWithdrawal(KestrelGateway.Tenant, patientId, m.Channel, "web_form", DateTimeOffset.UtcNow.AddDays(-1))));
    }

    public static string Email(string patientId) => patientId + "@example.fr";

    /// <summary>The marketing email the running gateway decided and handed to the fake SendGrid, over RabbitMQ.</summary>
    public static async Task<AcceptedMessage> MarketingEmailAsync(KestrelGateway gateway, string patientId, string locale)
    {
        var intent = new MessageIntent
        {
            IntentId = "i-" + Guid.NewGuid().ToString("N"), TenantId = KestrelGateway.Tenant, Producer = "campaigns", PatientId = patientId,
            Channel = Channel.Email, DeclaredPurpose = Purpose.Marketing, Category = "campaign", CampaignId = "spring-peel",
            Locale = locale, Subject = "Offre de printemps", Body = "-20% sur les peelings ce mois-ci : réservez vite !",
            Html = "<html><body><p>-20% sur les peelings ce mois-ci : réservez vite !</p></body></html>",
            Blocks = [new ContentBlock { Kind = Purpose.Marketing, Text = "-20% sur les peelings ce mois-ci : réservez vite !" }],
        };
        await gateway.Services.GetRequiredService<MassTransit.IBus>().Publish(intent);
        return await WaitForAsync(gateway, m => m.IntentId == intent.IntentId);
    }

    public static async Task<AcceptedMessage> WaitForAsync(KestrelGateway gateway, Func<AcceptedMessage, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        AcceptedMessage? sent;
        while ((sent = gateway.Fake.Accepted.FirstOrDefault(match)) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.NotNull(sent);
        return sent;
    }

    /// <summary>The footer's two links: unsubscribe (/u/, also in List-Unsubscribe) and preferences (/p/, same token).</summary>
    public static (Uri Unsubscribe, Uri Preferences) Links(KestrelGateway gateway, AcceptedMessage sent)
    {
        var unsubscribe = new Uri(sent.Headers["List-Unsubscribe"].Trim('<', '>'));
        Assert.StartsWith(gateway.BaseUrl.AbsoluteUri + "u/", unsubscribe.AbsoluteUri, StringComparison.Ordinal);
        var preferences = new Uri(gateway.BaseUrl, "/p/" + unsubscribe.AbsolutePath["/u/".Length..]);
        Assert.Contains(preferences.AbsoluteUri, sent.Text, StringComparison.Ordinal);
        Assert.Contains($"href=\"{preferences.AbsoluteUri}\"", sent.Html, StringComparison.Ordinal);
        Assert.Contains($"href=\"{unsubscribe.AbsoluteUri}\"", sent.Html, StringComparison.Ordinal);
        Assert.Contains("font-size:14px", sent.Html, StringComparison.Ordinal);
        return (unsubscribe, preferences);
    }

    public static async Task<IReadOnlyList<LedgerRow>> LedgerAsync(KestrelGateway gateway, string patientId)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<LedgerRow>("""
            select event_id, purpose, channel, placement, action, source, wording_version, wording_sha256, captured_by, ip, user_agent,
                   evidence::text as evidence, recorded_by
            from consent_events where tenant_id = @tenant and patient_id = @patientId order by event_id
            """, new { tenant = KestrelGateway.Tenant, patientId })];
    }

    /// <summary>axe-core on the page as it stands: no serious or critical violation.</summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        var result = await page.RunAxe();
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}").ToList();
        Assert.True(bad.Count == 0, $"{page.Url}: " + string.Join("\n", bad));
    }

    /// <summary>Every URL the page requested, to prove none carries the patient's id, address or number.</summary>
    public static List<string> RecordUrls(IPage page)
    {
        var urls = new List<string>();
        page.Request += (_, request) => urls.Add(request.Url);
        return urls;
    }

    public static void AssertNoPersonalData(IEnumerable<string> urls, string patientId)
    {
        foreach (var url in urls)
        {
            var decoded = Uri.UnescapeDataString(url);
            Assert.DoesNotContain(patientId, decoded, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("example.fr", decoded, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("612345678", decoded, StringComparison.Ordinal);
        }
    }

    public static string Screenshot(string name) => Chromium.ArtefactPath("patient-" + name + ".png");
}

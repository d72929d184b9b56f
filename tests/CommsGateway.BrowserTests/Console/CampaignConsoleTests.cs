using CommsGateway.BrowserTests.Infrastructure;
using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Features.Console.Staff;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CommsGateway.BrowserTests.Console;

/// <summary>
/// Campaigns in the console: templates the classifier is unsure about go through the review queue (marketing and the
/// DPO settle them, reception may not), and a campaign's report charts its decisions, deliveries and unsubscribes
/// over time. Every page checked with axe-core and saved at phone and desktop widths.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class CampaignConsoleTests(Chromium chromium, KestrelGateway gateway) : BrowserTest(chromium), IClassFixture<KestrelGateway>
{
    /// <summary>A campaign template (Liquid) the classifier is unsure about once rendered (checked in the test).</summary>
    private const string UnsureTemplate = "Bonjour {{ patient.first_name }},\n{{ clinic.name }} : nos horaires changent. Découvrez notre nouveau site internet.";

    /// <summary>The sentence of <see cref="UnsureTemplate"/> that makes the classifier unsure.</summary>
    private const string UnsureSentence = "Découvrez notre nouveau site internet.";

    [Fact]
    public async Task Should_let_marketing_settle_an_unsure_campaign_template_from_the_review_queue_without_any_patient_data_and_refuse_reception()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        const string firstName = "Camille"; // the classifier reads names too: a fixed one keeps the sample unsure
        var email = $"camille.{suffix}@example.fr";
        var rendered = $"Bonjour {firstName},\n{KestrelGateway.ClinicName} : nos horaires changent. {UnsureSentence}";
        var unsure = new ContentClassifier().Classify("Bonjour", rendered, null, null, Channel.Email, "fr");
        Assert.True(unsure.Verdict == ContentVerdict.Review, $"the sample template is no longer unsure ({unsure.Verdict}): pick another\n{rendered}");
        await ConsoleSeed.ClinicAsync(gateway);
        await ConsoleSeed.PatientAsync(gateway, "t-" + suffix, firstName, email, "fr", marketingByEmail: true);

        var (marketing, page) = await ConsoleSession.SignedInAsync(Pages, gateway, StaffRoles.Marketing);

        // Composed in the console: the preview says a person must settle the wording; it cannot be queued, only saved for review.
        var name = "New website " + suffix;
        await page.GotoAsync("/console/campaigns/new");
        await page.FillAsync("#name", name);
        await page.SelectOptionAsync("#channel", "email");
        await page.SelectOptionAsync("#audience", "email");
        await page.FillAsync("#subject-fr", "Bonjour");
        await page.FillAsync("#template-fr", UnsureTemplate);
        await page.ClickAsync("main form button[type=submit]");
        await page.Locator("#save-for-review").WaitForAsync();
        Assert.Equal(0, await page.Locator("#queue").CountAsync());
        await page.ClickAsync("#save-for-review");
        await ConsoleSession.WaitForPageAsync(page, "**/console/review/campaigns/*");
        var campaignId = Uri.UnescapeDataString(new Uri(page.Url).AbsolutePath.Split('/')[^1]);
        Assert.Equal("draft", await CampaignStatusAsync(campaignId));

        // The template as the classifier read it: masked (no patient's name or address), its unsure sentence marked.
        // One section per distinct masked template (other patients of the clinic may be in the audience too).
        var templates = await page.Locator("section.template").CountAsync();
        Assert.True(templates >= 1, "no template to review");
        Assert.Equal(UnsureSentence, await page.Locator("p.message mark").First.InnerTextAsync());
        var shown = await page.Locator("p.message").First.InnerTextAsync();
        Assert.StartsWith("Bonjour ◊", shown, StringComparison.Ordinal); // the name masked
        Assert.Contains(": nos horaires changent.", shown, StringComparison.Ordinal);
        Assert.All(await page.Locator(".verdict").AllInnerTextsAsync(), v => Assert.Contains("waiting for a review", v, StringComparison.Ordinal));
        var html = await page.ContentAsync();
        Assert.DoesNotContain(firstName, html, StringComparison.Ordinal);
        Assert.DoesNotContain(email, html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("t-" + suffix, html, StringComparison.Ordinal);
        await ConsoleSession.CheckPageAsync(page, "review-campaign-templates");

        // It waits in the review queue.
        await page.GotoAsync("/console/review");
        Assert.Contains(name, await page.InnerTextAsync("table.campaign-templates"), StringComparison.Ordinal);
        await ConsoleSession.CheckPageAsync(page, "review-queue-campaigns");

        // Reception may not review templates: 403, nothing of the campaign in the page.
        var reception = await ConsoleSession.NewStaffAsync(gateway, StaffRoles.Reception);
        var desk = await ConsoleSession.NewPageAsync(Pages, gateway);
        await ConsoleSession.SignInAsync(desk, reception);
        foreach (var path in new[] { $"/console/review/campaigns/{campaignId}", "/console/review" })
        {
            var refused = await desk.GotoAsync(path);
            Assert.Equal(403, refused!.Status);
            Assert.DoesNotContain(name, await refused.TextAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(0, await VerdictCountAsync(campaignId));

        // Marketing marks it as marketing: remembered with who decided, then the campaign can be queued.
        await page.GotoAsync($"/console/review/campaigns/{campaignId}");
        await page.FillAsync("#note", "a newsletter: marketing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Mark as marketing" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).WaitForAsync();
        Assert.Contains($"Recorded marketing for {templates} template(s)", await page.InnerTextAsync("[role=status]"), StringComparison.Ordinal);
        Assert.All(await page.Locator(".verdict").AllInnerTextsAsync(),
            v => Assert.Contains($"marketing, approved by console:{marketing.Email} (marketing)", v, StringComparison.Ordinal));
        Assert.Equal(templates, await VerdictCountAsync(campaignId));

        await page.GotoAsync("/console/review");
        Assert.Equal(0, await page.Locator($"table.campaign-templates :text('{name}')").CountAsync());
        var remembered = await page.InnerTextAsync("main");
        Assert.Contains(campaignId, remembered, StringComparison.Ordinal);
        Assert.Contains($"console:{marketing.Email} (marketing)", remembered, StringComparison.Ordinal);

        await page.GotoAsync($"/console/review/campaigns/{campaignId}");
        await page.ClickAsync("#queue-link");
        await ConsoleSession.CheckPageAsync(page, "campaign-queue");
        await page.CheckAsync("#confirm");
        await page.ClickAsync("#queue");
        await ConsoleSession.WaitForPageAsync(page, $"**/console/campaigns/{campaignId}");
        Assert.Equal("queued", await CampaignStatusAsync(campaignId));
    }

    [Fact]
    public async Task Should_chart_a_campaign_over_time_per_hour_then_per_day_with_the_same_figures_in_a_table()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var campaign = "chart-" + suffix;
        await ConsoleSeed.ClinicAsync(gateway);
        string[] patients = ["a-" + suffix, "b-" + suffix, "c-" + suffix];
        for (var i = 0; i < patients.Length; i++)
        {
            // b has no marketing consent: blocked.
            await ConsoleSeed.PatientAsync(gateway, patients[i], "Lea" + suffix, $"{patients[i]}@example.fr", "en", marketingByEmail: i != 1);
        }

        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                insert into campaigns (campaign_id, tenant_id, name, templates, channels, audience_kind, status, recipient_count, queued_count, created_by)
                values (@campaign, @tenant, 'Winter glow', '{"en": "Glow"}', array['email'], 'patients', 'queued', 3, 3, 'tests')
                """, new { tenant = KestrelGateway.Tenant, campaign });
        }

        var bus = gateway.Services.GetRequiredService<IBus>();
        foreach (var patient in patients)
        {
            await bus.Publish(new MessageIntent
            {
                IntentId = $"{campaign}-{patient}", TenantId = KestrelGateway.Tenant, Producer = "campaigns", PatientId = patient, Channel = Channel.Email,
                DeclaredPurpose = Purpose.Marketing, Category = "campaign", CampaignId = campaign, Locale = "en",
                Subject = "Winter offer", Body = "20% off all peels this winter: book now!",
            });
        }

        var decided = await UntilDecidedAsync(campaign, patients.Length);
        Assert.Equal(["Blocked", "Sent", "Sent"], decided.Select(d => d.Outcome).Order(StringComparer.Ordinal));
        var sent = decided.Where(d => d.Outcome == "Sent").ToList();
        var start = decided.Min(d => d.DecidedAt);
        // A delivery an hour later, a bounce two hours later, an unsubscribe three hours later.
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("insert into deliveries (decision_id, provider, status, occurred_at) values (@id, 'sendgrid', 'delivered', @at)",
                new { id = sent[0].DecisionId, at = start.AddHours(1) });
            await connection.ExecuteAsync("insert into deliveries (decision_id, provider, status, occurred_at) values (@id, 'sendgrid', 'bounce', @at)",
                new { id = sent[1].DecisionId, at = start.AddHours(2) });
        }

        await UnsubscribeAsync(campaign, start.AddHours(3));

        var (marketing, page) = await ConsoleSession.SignedInAsync(Pages, gateway, StaffRoles.Marketing);
        await page.GotoAsync("/console/campaigns/" + campaign);

        var decisions = page.Locator("svg#chart-decisions-over-time");
        Assert.Equal("Messages sent and blocked over time", await page.TextContentAsync("#chart-decisions-over-time-title"));
        Assert.Equal("chart-decisions-over-time-title chart-decisions-over-time-desc", await decisions.GetAttributeAsync("aria-labelledby"));
        var desc = await page.TextContentAsync("#chart-decisions-over-time-desc");
        Assert.StartsWith("per hour", desc, StringComparison.Ordinal);
        Assert.Contains("Sent 2, Blocked: NoMarketingConsent 1", desc, StringComparison.Ordinal);
        Assert.Equal(2, await page.Locator("svg#chart-decisions-over-time polyline").CountAsync());
        Assert.Contains("Delivered 1", await page.TextContentAsync("#chart-deliveries-over-time-desc"), StringComparison.Ordinal);
        Assert.Contains("Bounced 1", await page.TextContentAsync("#chart-deliveries-over-time-desc"), StringComparison.Ordinal);
        Assert.Contains("Unsubscribes 1", await page.TextContentAsync("#chart-deliveries-over-time-desc"), StringComparison.Ordinal);

        // The table holds the chart's figures: one row per hour from the first event to the last, the counts per series.
        var hours = (int)(Hour(start.AddHours(3)) - Hour(decided.Min(d => d.DecidedAt))).TotalHours + 1;
        Assert.Equal(hours, await page.Locator("#chart-decisions-over-time-table tbody tr").CountAsync());
        Assert.Equal(["Hour", "Sent", "Blocked: NoMarketingConsent"], await page.Locator("#chart-decisions-over-time-table thead th").AllTextContentsAsync());
        Assert.Equal(2, await ColumnSumAsync(page, "chart-decisions-over-time-table", 1));
        Assert.Equal(1, await ColumnSumAsync(page, "chart-decisions-over-time-table", 2));
        Assert.Equal(["Hour", "Delivered", "Bounced", "Unsubscribes"], await page.Locator("#chart-deliveries-over-time-table thead th").AllTextContentsAsync());
        Assert.Equal(new[] { 0, 0, 1 }, await RowAsync(page, "chart-deliveries-over-time-table", hours - 1)); // the last hour: the unsubscribe
        Assert.DoesNotContain(patients[0], await page.ContentAsync(), StringComparison.Ordinal);
        await page.ClickAsync("details:has(#chart-decisions-over-time-table) > summary");
        await ConsoleSession.CheckPageAsync(page, "campaign-report-charts");

        // Spread over more than two days: counted per day.
        await UnsubscribeAsync(campaign, start.AddDays(3));
        await page.GotoAsync("/console/campaigns/" + campaign);
        Assert.StartsWith("per day", await page.TextContentAsync("#chart-decisions-over-time-desc"), StringComparison.Ordinal);
        var days = (start.AddDays(3).UtcDateTime.Date - start.UtcDateTime.Date).Days + 1;
        Assert.Equal(days, await page.Locator("#chart-deliveries-over-time-table tbody tr").CountAsync());
        Assert.Equal(start.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            await page.TextContentAsync("#chart-deliveries-over-time-table tbody tr:first-child th"));
        Assert.Equal(new[] { 0, 0, 1 }, await RowAsync(page, "chart-deliveries-over-time-table", days - 1));
        Assert.Contains("Unsubscribes 2", await page.TextContentAsync("#chart-deliveries-over-time-desc"), StringComparison.Ordinal);
    }

    private static DateTime Hour(DateTimeOffset at) => new(at.UtcDateTime.Year, at.UtcDateTime.Month, at.UtcDateTime.Day, at.UtcDateTime.Hour, 0, 0, DateTimeKind.Utc);

    private static async Task<int> ColumnSumAsync(IPage page, string table, int column) =>
        (await page.Locator($"#{table} tbody tr td:nth-of-type({column})").AllTextContentsAsync()).Sum(int.Parse);

    private static async Task<int[]> RowAsync(IPage page, string table, int row) =>
        [.. (await page.Locator($"#{table} tbody tr").Nth(row).Locator("td").AllTextContentsAsync()).Select(int.Parse)];

    private async Task UnsubscribeAsync(string campaign, DateTimeOffset at)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into unsubscribe_events (request_id, tenant_id, subscriber_ref, channel, scope, method, campaign_id, key_id, token_issued_at, occurred_at)
            values (@id, @tenant, 'sub-tests', 'email', 'channel', 'one_click', @campaign, 'browser-k1', @at, @at)
            """, new { id = Guid.NewGuid(), tenant = KestrelGateway.Tenant, campaign, at });
    }

    private sealed record Decided(Guid DecisionId, string Outcome, DateTimeOffset DecidedAt);

    private async Task<List<Decided>> UntilDecidedAsync(string campaign, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await using (var connection = await gateway.Db.OpenConnectionAsync())
            {
                var rows = (await connection.QueryAsync<(Guid, string, DateTime)>(
                    "select decision_id, outcome, decided_at from decisions where tenant_id = @tenant and campaign_id = @campaign",
                    new { tenant = KestrelGateway.Tenant, campaign })).ToList();
                if (rows.Count >= count || DateTime.UtcNow > deadline)
                {
                    Assert.True(rows.Count == count, $"the gateway decided {rows.Count} of {count} campaign intents in 60 s");
                    return [.. rows.Select(r => new Decided(r.Item1, r.Item2, new DateTimeOffset(DateTime.SpecifyKind(r.Item3, DateTimeKind.Utc))))];
                }
            }

            await Task.Delay(200);
        }
    }

    private async Task<string> CampaignStatusAsync(string campaignId)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<string>("select status from campaigns where campaign_id = @campaignId", new { campaignId });
    }

    private async Task<int> VerdictCountAsync(string campaignId)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("select count(*) from review_templates where campaign_id = @campaignId", new { campaignId });
    }
}

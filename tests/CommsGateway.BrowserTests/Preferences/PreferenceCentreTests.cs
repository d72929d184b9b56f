using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CommsGateway.BrowserTests.Infrastructure;
using CommsGateway.Contracts;
using CommsGateway.Core.Preferences;
using CommsGateway.Features.Preferences;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Unsubscribe;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using static CommsGateway.BrowserTests.Preferences.PatientPages;

namespace CommsGateway.BrowserTests.Preferences;

/// <summary>
/// A patient in control, in Chromium at 412 px, from the links of a marketing email the running gateway really sent:
/// unsubscribe then undo (double opt-in read from the fake SendGrid), manage every channel and photo use, download a
/// receipt, an expired link. After each flow: the ledger rows and their evidence, axe-core, and no personal data in any URL.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class PreferenceCentreTests(Chromium chromium, KestrelGateway gateway) : BrowserTest(chromium), IClassFixture<KestrelGateway>
{
    private static string NewPatient() => "p-" + Guid.NewGuid().ToString("N")[..10];

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task Should_unsubscribe_then_undo_with_a_fresh_grant_confirmed_from_the_mailbox()
    {
        var patientId = NewPatient();
        await SeedAsync(gateway, patientId, "fr", ("email", "grant"));
        var (unsubscribe, _) = Links(gateway, await MarketingEmailAsync(gateway, patientId, "fr"));
        var page = await Pages.NewPageAsync(Phone("fr-FR"));
        var urls = RecordUrls(page);

        await page.GotoAsync(unsubscribe.AbsoluteUri);
        await AssertAccessibleAsync(page);
        await page.ScreenshotAsync(new() { Path = Screenshot("unsubscribe-choice"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = "Ne plus recevoir d'offres par e-mail" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Désinscription confirmée" }).WaitForAsync();
        await AssertAccessibleAsync(page);
        await page.ScreenshotAsync(new() { Path = Screenshot("unsubscribe-done"), FullPage = true });
        Assert.Equal([("grant", "web_form"), ("withdraw", "unsubscribe_link")], (await LedgerAsync(gateway, patientId)).Select(r => (r.Action, r.Source)));

        // Undo: the exact wording, an unticked box; nothing is recorded without the tick.
        await page.GetByRole(AriaRole.Link, new() { Name = "Annuler : continuer à recevoir les offres" }).ClickAsync();
        var wording = ConsentWordings.For(new ConsentItem(Core.Consent.ConsentPurpose.Marketing, Channel.Email, null), UnsubscribeLocale.Fr);
        var box = page.GetByRole(AriaRole.Checkbox, new() { Name = wording.Text });
        Assert.False(await box.IsCheckedAsync());
        await AssertAccessibleAsync(page);
        await page.ScreenshotAsync(new() { Path = Screenshot("undo-wording"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer mon accord" }).ClickAsync();
        await page.GetByText("la case n'était pas cochée").WaitForAsync();
        Assert.Equal(2, (await LedgerAsync(gateway, patientId)).Count);

        await box.CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer mon accord" }).ClickAsync();
        await page.GetByText("Presque fini").WaitForAsync();
        Assert.Equal(2, (await LedgerAsync(gateway, patientId)).Count); // no grant before the mailbox confirms

        // Reopening the used unsubscribe link shows the current state, not the same prompt.
        var reopened = await Pages.NewPageAsync(Phone("fr-FR"));
        urls.AddRange(RecordUrls(reopened));
        await reopened.GotoAsync(unsubscribe.AbsoluteUri);
        await reopened.GetByRole(AriaRole.Heading, new() { Name = "Vous êtes déjà désinscrit(e)" }).WaitForAsync();
        Assert.Equal(0, await reopened.GetByRole(AriaRole.Button).CountAsync());
        await AssertAccessibleAsync(reopened);
        await reopened.ScreenshotAsync(new() { Path = Screenshot("unsubscribe-reopened"), FullPage = true });

        // The confirmation the real SendGrid dispatcher sent to the address on record.
        var mail = await WaitForAsync(gateway, m => m.To == Email(patientId) && m.Categories.Contains("consent_confirmation"));
        Assert.Contains(wording.Text, mail.Text, StringComparison.Ordinal);
        var confirm = mail.Text!.Split('\n').Single(line => line.StartsWith(gateway.BaseUrl.AbsoluteUri + "p/confirm/", StringComparison.Ordinal));
        await page.GotoAsync(confirm);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Confirmer mon inscription" }).WaitForAsync();
        Assert.Equal(2, (await LedgerAsync(gateway, patientId)).Count); // opening the link (a mail scanner could) changes nothing
        await AssertAccessibleAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirmer" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Inscription confirmée" }).WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Screenshot("double-opt-in-confirmed"), FullPage = true });

        var ledger = await LedgerAsync(gateway, patientId);
        Assert.Equal(3, ledger.Count);
        var grant = ledger[2];
        Assert.Equal(("marketing", "email", "grant", "unsubscribe_undo", "patient"), (grant.Purpose, grant.Channel, grant.Action, grant.Source, grant.CapturedBy));
        Assert.Equal((wording.Version, wording.Sha256), (grant.WordingVersion, grant.WordingSha256!.ToLowerInvariant()));
        Assert.Equal(Sha256(wording.Text), wording.Sha256);
        Assert.Equal("127.0.0.1", grant.Ip);
        Assert.Contains("Chrome", grant.UserAgent, StringComparison.Ordinal);
        Assert.Equal("confirmed", grant.EvidenceJson.GetProperty("double_opt_in").GetString());
        Assert.Equal("127.0.0.1", grant.EvidenceJson.GetProperty("confirmed_ip").GetString());
        Assert.False(string.IsNullOrEmpty(grant.EvidenceJson.GetProperty("requested_at").GetString()));

        // The same confirmation link again: nothing more.
        await page.GotoAsync(confirm);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Lien déjà utilisé ou expiré" }).WaitForAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button).CountAsync());
        Assert.Equal(3, (await LedgerAsync(gateway, patientId)).Count);
        AssertNoPersonalData(urls, patientId);
    }

    [Fact]
    public async Task Should_manage_every_channel_and_photo_use_and_download_a_receipt()
    {
        var patientId = NewPatient();
        await SeedAsync(gateway, patientId, "en", ("email", "grant"), ("sms", "grant"));
        var (_, preferences) = Links(gateway, await MarketingEmailAsync(gateway, patientId, "en"));
        var page = await Pages.NewPageAsync(Phone("en-GB"));
        var urls = RecordUrls(page);

        await page.GotoAsync(preferences.AbsoluteUri);
        await page.GetByRole(AriaRole.Heading, new() { Name = "My choices" }).WaitForAsync();
        var main = await page.InnerTextAsync("main");
        Assert.Contains("mkt-v3", main, StringComparison.Ordinal); // the wording version of the seeded grant
        Assert.Contains("Contact the clinic: 01 23 45 67 89", await page.InnerTextAsync("footer"), StringComparison.Ordinal);
        await AssertAccessibleAsync(page);
        await page.ScreenshotAsync(new() { Path = Screenshot("preferences"), FullPage = true });

        // Withdraw SMS: one action, recorded at once with its evidence.
        await page.GetByRole(AriaRole.Button, new() { Name = "Withdraw my consent – Offers by SMS" }).ClickAsync();
        await page.GetByText("Done, effective immediately").WaitForAsync();
        var withdrawal = (await LedgerAsync(gateway, patientId))[^1];
        Assert.Equal(("sms", "withdraw", "preference_centre", "127.0.0.1"), (withdrawal.Channel, withdrawal.Action, withdrawal.Source, withdrawal.Ip));
        Assert.Contains("Chrome", withdrawal.UserAgent, StringComparison.Ordinal);
        Assert.Equal("browser-k1", withdrawal.EvidenceJson.GetProperty("token_key_id").GetString());
        await AssertAccessibleAsync(page);

        // Grant WhatsApp: the exact wording ticked, recorded at once (no mailbox to confirm).
        await page.GetByRole(AriaRole.Link, new() { Name = "Give my consent… – Offers by WhatsApp" }).ClickAsync();
        var whatsApp = ConsentWordings.For(new ConsentItem(Core.Consent.ConsentPurpose.Marketing, Channel.WhatsApp, null), UnsubscribeLocale.En);
        await page.GetByRole(AriaRole.Checkbox, new() { Name = whatsApp.Text }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save my consent" }).ClickAsync();
        await page.GetByText("Saved: Offers by WhatsApp").WaitForAsync();
        var grant = (await LedgerAsync(gateway, patientId))[^1];
        Assert.Equal(("whatsapp", "grant", "preference_centre", "patient"), (grant.Channel, grant.Action, grant.Source, grant.CapturedBy));
        Assert.Equal((whatsApp.Version, whatsApp.Sha256), (grant.WordingVersion, grant.WordingSha256!.ToLowerInvariant()));

        // A receipt of the change, emailed to the address on record.
        var emailed = await WaitForAsync(gateway, m => m.To == Email(patientId) && m.Categories.Contains("consent_receipt")
            && m.Text!.Contains(whatsApp.Sha256, StringComparison.Ordinal));
        Assert.Contains("Offers by WhatsApp : granted (" + whatsApp.Version, emailed.Text, StringComparison.Ordinal);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(whatsApp.Text).Replace("&#39;", "'", StringComparison.Ordinal), emailed.Html!.Replace("&#39;", "'", StringComparison.Ordinal), StringComparison.Ordinal);

        // Photo use, per placement.
        await page.GetByRole(AriaRole.Link, new() { Name = "Give my consent… – My photos: website" }).ClickAsync();
        var photo = ConsentWordings.For(new ConsentItem(Core.Consent.ConsentPurpose.PhotoMarketing, null, Core.Consent.PhotoPlacement.Website), UnsubscribeLocale.En);
        await page.GetByRole(AriaRole.Checkbox, new() { Name = photo.Text }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save my consent" }).ClickAsync();
        await page.GetByText("Saved: My photos: website").WaitForAsync();
        var photoGrant = (await LedgerAsync(gateway, patientId))[^1];
        Assert.Equal(("photo_marketing", null, "website", "grant", photo.Version), (photoGrant.Purpose, photoGrant.Channel, photoGrant.Placement, photoGrant.Action, photoGrant.WordingVersion));
        await page.ScreenshotAsync(new() { Path = Screenshot("preferences-after-changes"), FullPage = true });

        // The receipt: JSON in the spirit of the Kantara consent receipt, and printable HTML.
        var jsonDownload = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download the receipt (JSON)" }).First.ClickAsync());
        using var receipt = JsonDocument.Parse(await File.ReadAllTextAsync(await jsonDownload.PathAsync()));
        var root = receipt.RootElement;
        Assert.Equal(KestrelGateway.ClinicName, root.GetProperty("piiControllers")[0].GetProperty("piiController").GetString());
        Assert.DoesNotContain(patientId, root.GetRawText(), StringComparison.Ordinal);
        var purposes = root.GetProperty("purposes").EnumerateArray().ToList();
        string Status(string purpose, string? channel, string? placement) => purposes.Single(p =>
            p.GetProperty("purpose").GetString() == purpose
            && (channel is null || p.GetProperty("channel").GetString() == channel)
            && (placement is null || p.GetProperty("placement").GetString() == placement)).GetProperty("status").GetString()!;
        Assert.Equal(("granted", "withdrawn", "granted", "granted", "none"), (Status("marketing", "email", null), Status("marketing", "sms", null),
            Status("marketing", "whatsapp", null), Status("photo_marketing", null, "website"), Status("photo_marketing", null, "flyer")));
        var whatsAppEntry = purposes.Single(p => p.TryGetProperty("channel", out var c) && c.GetString() == "whatsapp");
        Assert.Equal(whatsApp.Sha256, whatsAppEntry.GetProperty("wordingSha256").GetString());
        Assert.Equal(grant.EventId, whatsAppEntry.GetProperty("eventId").GetInt64());
        Assert.Contains("Reply STOP", whatsAppEntry.GetProperty("termination").GetString(), StringComparison.Ordinal);

        var htmlDownload = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download the receipt (HTML, printable)" }).First.ClickAsync());
        var receiptPage = await Pages.NewPageAsync(Phone("en-GB"));
        await receiptPage.SetContentAsync(await File.ReadAllTextAsync(await htmlDownload.PathAsync()));
        Assert.Contains(whatsApp.Text, await receiptPage.InnerTextAsync("main"), StringComparison.Ordinal);
        await AssertAccessibleAsync(receiptPage);
        await receiptPage.ScreenshotAsync(new() { Path = Screenshot("receipt"), FullPage = true });

        // The language switch.
        await page.GetByRole(AriaRole.Link, new() { Name = "Français" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Mes choix" }).WaitForAsync();
        Assert.Equal("fr", await page.GetAttributeAsync("html", "lang"));
        AssertNoPersonalData(urls, patientId);
    }

    [Fact]
    public async Task Should_explain_an_expired_link_for_its_channel_and_give_the_clinic_contact()
    {
        var patientId = NewPatient();
        await SeedAsync(gateway, patientId, "fr", ("sms", "grant"));
        var links = gateway.Services.GetRequiredService<UnsubscribeLinks>();
        await links.IssueAsync(KestrelGateway.Tenant, patientId, Channel.Sms, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, null, CancellationToken.None);
        var key = gateway.Services.GetRequiredService<IOptions<UnsubscribeOptions>>().Value.SubscriberKeyBytes();
        var tokens = gateway.Services.GetRequiredService<UnsubscribeTokens>();
        var expired = tokens.Issue(KestrelGateway.Tenant, SubscriberReference.Compute(key, KestrelGateway.Tenant, patientId), Channel.Sms,
            UnsubscribeScope.Channel, UnsubscribeLocale.Fr, null, DateTimeOffset.UtcNow - tokens.Validity - TimeSpan.FromDays(1));
        var page = await Pages.NewPageAsync(Phone("fr-FR"));
        var urls = RecordUrls(page);

        foreach (var path in new[] { "/u/", "/p/" })
        {
            var response = await page.GotoAsync(new Uri(gateway.BaseUrl, path + expired).AbsoluteUri);
            Assert.Equal(400, response?.Status);
            await page.GetByRole(AriaRole.Heading, new() { Name = "Ce lien a expiré" }).WaitForAsync();
            var main = await page.InnerTextAsync("main");
            Assert.Contains("répondez STOP à notre dernier SMS", main, StringComparison.Ordinal);
            Assert.Contains("01 23 45 67 89", main, StringComparison.Ordinal);
            Assert.Equal(0, await page.GetByRole(AriaRole.Button).CountAsync());
            await AssertAccessibleAsync(page);
        }

        await page.ScreenshotAsync(new() { Path = Screenshot("expired-link"), FullPage = true });
        Assert.Single(await LedgerAsync(gateway, patientId));
        AssertNoPersonalData(urls, patientId);
    }

    [Fact]
    public async Task Should_capture_separate_unticked_consents_on_the_clinic_form_and_refuse_a_bundled_submission()
    {
        var patientId = NewPatient();
        await SeedAsync(gateway, patientId, "fr");
        var link = await gateway.Services.GetRequiredService<CaptureFormLinks>().IssueAsync(KestrelGateway.Tenant, patientId, UnsubscribeLocale.Fr, CancellationToken.None);
        var page = await Pages.NewPageAsync(Phone("fr-FR"));
        var urls = RecordUrls(page);

        var response = await page.GotoAsync(link.AbsoluteUri);
        Assert.Contains("frame-ancestors 'none'", response!.Headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Equal(ConsentItem.All.Count, await page.Locator("input[type=checkbox]").CountAsync());
        Assert.Equal(0, await page.Locator("input[type=checkbox]:checked").CountAsync());
        await AssertAccessibleAsync(page);
        await page.ScreenshotAsync(new() { Path = Screenshot("capture-form"), FullPage = true });

        // One box made to stand for two channels (as a tampered or badly built form would post it): refused whole.
        var sms = page.GetByRole(AriaRole.Checkbox, new() { Name = "Offres par SMS" });
        await sms.CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Mes photos : site internet" }).CheckAsync();
        await sms.EvaluateAsync("box => box.value = 'marketing.sms,marketing.whatsapp'");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer mes choix" }).ClickAsync();
        await page.GetByText("une case ne peut valoir que pour un seul usage").WaitForAsync();
        Assert.Empty(await LedgerAsync(gateway, patientId));
        Assert.Equal(0, await page.Locator("input[type=checkbox]:checked").CountAsync()); // shown again, unticked
        await page.ScreenshotAsync(new() { Path = Screenshot("capture-form-bundled-refused"), FullPage = true });

        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Offres par SMS" }).CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Offres par e-mail" }).CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Mes photos : site internet" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer mes choix" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Merci, c'est noté" }).WaitForAsync();
        await AssertAccessibleAsync(page);

        var ledger = await LedgerAsync(gateway, patientId);
        Assert.Equal([("marketing", "sms", (string?)null), ("photo_marketing", null, "website")], ledger.Select(r => (r.Purpose, r.Channel, r.Placement)));
        Assert.All(ledger, r => Assert.Equal(("grant", "capture_form", "patient", "127.0.0.1"), (r.Action, r.Source, r.CapturedBy, r.Ip)));
        var smsWording = ConsentWordings.For(new ConsentItem(Core.Consent.ConsentPurpose.Marketing, Channel.Sms, null), UnsubscribeLocale.Fr);
        Assert.Equal((smsWording.Version, smsWording.Sha256), (ledger[0].WordingVersion, ledger[0].WordingSha256!.ToLowerInvariant()));
        // Email waits for its double opt-in.
        var mail = await WaitForAsync(gateway, m => m.To == Email(patientId) && m.Categories.Contains("consent_confirmation"));
        Assert.Contains("/p/confirm/", mail.Text, StringComparison.Ordinal);
        AssertNoPersonalData(urls, patientId);

        // Embeddable only from the clinic's configured origins.
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "update tenants set capture_form_origins = '{https://belle-peau.example}' where tenant_id = @tenant",
                new { tenant = KestrelGateway.Tenant });
        }

        var framed = await page.GotoAsync(link.AbsoluteUri);
        Assert.Contains("frame-ancestors 'self' https://belle-peau.example", framed!.Headers["content-security-policy"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_a_forged_confirmation_link()
    {
        var page = await Pages.NewPageAsync(Phone("en-GB"));
        var forged = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        var response = await page.GotoAsync(new Uri(gateway.BaseUrl, "/p/confirm/" + forged + "?lang=en").AbsoluteUri);

        Assert.Equal(400, response?.Status);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Invalid link" }).WaitForAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button).CountAsync());
    }
}

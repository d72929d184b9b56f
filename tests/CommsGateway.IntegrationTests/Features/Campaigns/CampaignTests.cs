using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using CommsGateway.Contracts;
using CommsGateway.Core.Privacy;
using CommsGateway.FakeProviders;
using CommsGateway.Features.Campaigns;
using CommsGateway.IntegrationTests.Features.Patients;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Campaigns;

/// <summary>Issue 7 on the real servers: preview = outcome, idempotent re-queue, cancel, placeholders, channel preference.</summary>
[Collection(GatewayCollection.Name)]
public sealed partial class CampaignTests(GatewayFixture gateway)
{
    private const string Template = "Bonjour {{ patient.first_name }},\n{{ clinic.name }} : -20 % sur les peelings ce mois-ci, réservez !";

    private CampaignService Campaigns => gateway.Services.GetRequiredService<CampaignService>();

    private static CampaignDefinition Definition(string[] channels, string[]? patients = null, string? audienceChannel = null, string template = Template) => new()
    {
        Name = "Spring peels",
        Templates = new() { ["fr"] = template, ["en"] = "Hello {{ patient.first_name }}, 20% off peels this month: book now!" },
        Subjects = new() { ["fr"] = "Offre de printemps", ["en"] = "Spring offer" },
        Channels = channels,
        PatientIds = patients,
        AudienceChannel = audienceChannel,
    };

    private async Task<string> PatientAsync(Clinic clinic, string? firstName = "Camille", bool email = true, bool phone = true, string locale = "fr")
    {
        var patient = Clinic.NewPatient();
        var (address, _, e164) = PatientDataTests.NewAddresses();
        (await clinic.PutContactAsync(patient, new { firstName, email = email ? address : null, phone = phone ? e164 : null, locale })).EnsureSuccessStatusCode();
        return patient;
    }

    /// <summary>Marketing SMS may go at any hour, any day: tests do not depend on when they run.</summary>
    private static Dictionary<string, object?> AlwaysOpen() => new()
    {
        ["marketing_window_start"] = "00:00", ["marketing_window_end"] = "23:59:59.9999999", ["marketing_on_sundays"] = true, ["holiday_country"] = "XX",
    };

    /// <summary>What the fake provider accepted for a campaign (its intent ids start with cmp:{id}:).</summary>
    private List<AcceptedMessage> Accepted(string campaignId) =>
        [.. gateway.Fake.Accepted.Where(m => m.IntentId?.StartsWith($"cmp:{campaignId}:", StringComparison.Ordinal) == true)];

    private async Task<List<AcceptedMessage>> WaitForAcceptedAsync(string campaignId, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (Accepted(campaignId).Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        return Accepted(campaignId);
    }

    /// <summary>Nobody twice at the provider: per intent id, and per patient whatever the channel.</summary>
    private void AssertEachPatientReachedAtMostOnce(string campaignId)
    {
        var perIntent = gateway.Fake.AcceptedPerIntent.Where(p => p.Key.StartsWith($"cmp:{campaignId}:", StringComparison.Ordinal)).ToList();
        Assert.All(perIntent, p => Assert.Equal(1, p.Value));
        var perPatient = Accepted(campaignId).GroupBy(m => m.IntentId!.Split(':')[2]).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(perPatient);
    }

    private async Task<IReadOnlyList<(string IntentId, string PatientId, string Channel, string Outcome, string[] Reasons)>> WaitForCampaignAsync(
        string tenantId, string campaignId, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            await using var connection = await gateway.Db.OpenConnectionAsync();
            var rows = (await connection.QueryAsync<(string, string, string, string, string[])>(
                "select intent_id, patient_id, channel, outcome, reasons from decisions where tenant_id = @tenantId and campaign_id = @campaignId order by seq",
                new { tenantId, campaignId })).ToList();
            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Should_decide_exactly_what_the_preview_announced()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var granted = await PatientAsync(clinic);
        (await clinic.GrantAsync(granted, "email")).EnsureSuccessStatusCode();
        var noGrant = await PatientAsync(clinic);
        var withdrawn = await PatientAsync(clinic);
        (await clinic.GrantAsync(withdrawn, "email", occurredAt: DateTimeOffset.UtcNow.AddDays(-2))).EnsureSuccessStatusCode();
        (await clinic.WithdrawAsync(withdrawn, "email")).EnsureSuccessStatusCode();
        var suppressed = await PatientAsync(clinic);
        (await clinic.GrantAsync(suppressed, "email")).EnsureSuccessStatusCode();
        var noEmail = await PatientAsync(clinic, email: false);
        var lapsed = await PatientAsync(clinic);
        (await clinic.GrantAsync(lapsed, "email", occurredAt: DateTimeOffset.UtcNow.AddYears(-4))).EnsureSuccessStatusCode();
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            var address = await connection.ExecuteScalarAsync<string>(
                "select email from contacts where tenant_id = @t and patient_id = @p", new { t = clinic.TenantId, p = suppressed });
            await connection.ExecuteAsync("""
                insert into suppressions (tenant_id, channel, address_hash, reason) values (@t, 'email', @hash, 'hard_bounce')
                """, new { t = clinic.TenantId, hash = gateway.Services.GetRequiredService<AddressHasher>().Hash(address!) });
        }

        var definition = Definition(["email"], [granted, noGrant, withdrawn, suppressed, noEmail, lapsed, "not-on-record"]);

        var previewResponse = await clinic.Http.PostAsJsonAsync("/api/campaigns/preview", definition);
        previewResponse.EnsureSuccessStatusCode();
        var preview = (await previewResponse.Content.ReadFromJsonAsync<CampaignPreview>())!;
        Assert.Equal(7, preview.AudienceSize);
        Assert.Equal(["not-on-record"], preview.UnknownPatientIds);
        var email = Assert.Single(preview.Channels);
        Assert.Equal(6, email.Recipients);
        Assert.Equal(new Dictionary<string, int> { ["Sent"] = 1, ["Blocked"] = 5 }, email.OutcomeCounts());
        Assert.Equal(new Dictionary<string, int>
        {
            [ReasonCodes.MarketingConsentGranted] = 1, [ReasonCodes.NoMarketingConsent] = 2, [ReasonCodes.Suppressed] = 1,
            [ReasonCodes.NoContactPoint] = 1, [ReasonCodes.ConsentLapsed] = 1,
        }, email.FirstReasons());
        // Each reason sits under its own outcome, never all under the last one.
        Assert.Equal(new Dictionary<string, int> { [ReasonCodes.MarketingConsentGranted] = 1 }, email.Outcomes["Sent"].Reasons);
        Assert.Equal(new Dictionary<string, int>
        {
            [ReasonCodes.NoMarketingConsent] = 2, [ReasonCodes.Suppressed] = 1, [ReasonCodes.NoContactPoint] = 1, [ReasonCodes.ConsentLapsed] = 1,
        }, email.Outcomes["Blocked"].Reasons);
        var sample = preview.Samples[0];
        Assert.Equal(granted, sample.PatientId);
        Assert.Contains("Bonjour Camille,", sample.Body, StringComparison.Ordinal);
        Assert.Contains("/u/", sample.Body, StringComparison.Ordinal); // the unsubscribe footer

        var queued = await clinic.Http.PostAsJsonAsync("/api/campaigns", definition);
        Assert.Equal(HttpStatusCode.Created, queued.StatusCode);
        var result = (await queued.Content.ReadFromJsonAsync<QueueResult>())!;
        Assert.Equal(6, result.Published);

        var rows = await WaitForCampaignAsync(clinic.TenantId, result.CampaignId, 6);
        Assert.Equal(6, rows.Count);
        Assert.Equal(email.OutcomeCounts().OrderBy(o => o.Key), rows.GroupBy(r => r.Outcome).Select(g => KeyValuePair.Create(g.Key, g.Count())).OrderBy(o => o.Key));
        Assert.Equal(email.FirstReasons().OrderBy(o => o.Key), rows.GroupBy(r => r.Reasons[0]).Select(g => KeyValuePair.Create(g.Key, g.Count())).OrderBy(o => o.Key));
        Assert.All(rows, r => Assert.Equal(CampaignMessages.IntentId(result.CampaignId, r.PatientId, Channel.Email), r.IntentId));

        var report = (await clinic.Http.GetFromJsonAsync<CampaignReport>($"/api/campaigns/{result.CampaignId}"))!;
        Assert.Equal(6, report.Decided);
        Assert.Equal("queued", report.Status);
        Assert.Equal(1, report.Outcomes.Single(o => o.Key == "Sent").Count);

        var csv = await clinic.Http.GetStringAsync($"/api/campaigns/{result.CampaignId}/recipients.csv");
        Assert.Equal(7, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("@", csv, StringComparison.Ordinal); // no addresses
    }

    [Fact]
    public async Task Should_refuse_a_missing_placeholder_with_its_line_and_name_and_queue_nothing()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var named = await PatientAsync(clinic);
        var nameless = await PatientAsync(clinic, firstName: null);
        (await clinic.GrantAsync(named, "email")).EnsureSuccessStatusCode();

        var response = await clinic.Http.PostAsJsonAsync("/api/campaigns", Definition(["email"], [named, nameless]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.Contains($"patient {nameless}: template fr, line 1: {{{{ patient.first_name }}}}", problem, StringComparison.Ordinal);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal("draft", await connection.ExecuteScalarAsync<string>("select status from campaigns where tenant_id = @t", new { t = clinic.TenantId }));

        var unknown = await clinic.Http.PostAsJsonAsync("/api/campaigns/preview",
            Definition(["email"], [named], template: "Bonjour,\n\nvotre code : {{ offer.code }}"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("template fr, line 3: {{ offer.code }} is not a known placeholder", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_pick_the_first_channel_with_a_live_grant_per_patient()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var whatsApp = await PatientAsync(clinic);
        (await clinic.GrantAsync(whatsApp, "whatsapp")).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(whatsApp, "email")).EnsureSuccessStatusCode();
        var sms = await PatientAsync(clinic);
        (await clinic.GrantAsync(sms, "sms")).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(sms, "email")).EnsureSuccessStatusCode();
        var email = await PatientAsync(clinic);
        (await clinic.GrantAsync(email, "whatsapp", occurredAt: DateTimeOffset.UtcNow.AddYears(-4))).EnsureSuccessStatusCode(); // lapsed
        (await clinic.GrantAsync(email, "email")).EnsureSuccessStatusCode();
        var none = await PatientAsync(clinic);

        var id = await Campaigns.CreateAsync(clinic.TenantId, Definition(["whatsapp", "sms", "email"], [whatsApp, sms, email, none]), new("test"), default);
        var result = await Campaigns.QueueAsync(clinic.TenantId, id, null, default);
        Assert.True(result.Ok, string.Join("; ", result.Problems));

        var rows = await WaitForCampaignAsync(clinic.TenantId, id, 4);
        var channels = rows.ToDictionary(r => r.PatientId, r => r.Channel);
        Assert.Equal("whatsapp", channels[whatsApp]);
        Assert.Equal("sms", channels[sms]);
        Assert.Equal("email", channels[email]);
        Assert.Equal("whatsapp", channels[none]); // nothing live: first preference, blocked by the gateway
        Assert.Equal([ReasonCodes.NoMarketingConsent], rows.Single(r => r.PatientId == none).Reasons);
    }

    [Fact]
    public async Task Should_send_nobody_twice_when_requeued_after_an_interruption()
    {
        const int recipients = 5_000;
        var clinic = await Clinic.CreateAsync(gateway);
        await SeedGrantedPatientsAsync(clinic.TenantId, recipients);
        var id = await Campaigns.CreateAsync(clinic.TenantId, Definition(["email"], audienceChannel: "email"), new("test"), default);

        using var kill = new CancellationTokenSource();
        var confirmedBeforeKill = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Campaigns.QueueAsync(clinic.TenantId, id, (done, total) =>
        {
            confirmedBeforeKill = done;
            if (done > 0 && done < total)
            {
                kill.Cancel(); // the fan-out dies part-way through
            }
        }, kill.Token));
        Assert.InRange(confirmedBeforeKill, 1, recipients - 1);

        var again = await Campaigns.QueueAsync(clinic.TenantId, id, null, default);
        Assert.Equal(recipients, again.Published);

        var rows = await WaitForCampaignAsync(clinic.TenantId, id, recipients, TimeSpan.FromMinutes(3));
        Assert.Equal(recipients, rows.Count);
        Assert.Equal(recipients, rows.Select(r => r.IntentId).Distinct().Count()); // one decision per intent id
        Assert.All(rows, r => Assert.Equal("Sent", r.Outcome));

        // Every intent the first run got confirmed was published twice: the second copy is a Duplicate.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (gateway.Decided.Count(d => d.CampaignId == id && d.Outcome == DecisionOutcome.Duplicate) < confirmedBeforeKill && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.True(gateway.Decided.Count(d => d.CampaignId == id && d.Outcome == DecisionOutcome.Duplicate) >= confirmedBeforeKill);

        // What counts: the provider got every recipient's message, and each exactly once.
        var accepted = await WaitForAcceptedAsync(id, recipients, TimeSpan.FromMinutes(2));
        Assert.Equal(recipients, accepted.Count);
        Assert.Equal(recipients, accepted.Select(m => m.IntentId).Distinct().Count());
        AssertEachPatientReachedAtMostOnce(id);
    }

    [Fact]
    public async Task Should_block_the_rest_once_cancelled()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        await SeedGrantedPatientsAsync(clinic.TenantId, 40);
        var id = await Campaigns.CreateAsync(clinic.TenantId, Definition(["email"], audienceChannel: "email"), new("test"), default);
        var prepared = await gateway.Services.GetRequiredService<CampaignMessages>().PrepareAsync(clinic.TenantId, id, "Clinic", Definition(["email"], audienceChannel: "email"), default);
        var intents = prepared.Messages.Select(m => m.Intent).ToList();
        var publisher = gateway.Services.GetRequiredService<CampaignPublisher>();

        await publisher.PublishAsync(intents[..20], null, default);
        Assert.All(await WaitForCampaignAsync(clinic.TenantId, id, 20), r => Assert.Equal("Sent", r.Outcome));
        Assert.Equal(HttpStatusCode.NoContent, (await clinic.Http.PostAsync($"/api/campaigns/{id}/cancel", null)).StatusCode);
        // The rest were still on the queue when the campaign was cancelled.
        await publisher.PublishAsync(intents[20..], null, default);

        var rows = await WaitForCampaignAsync(clinic.TenantId, id, 40);
        Assert.Equal(40, rows.Count);
        Assert.All(rows.Where(r => intents[20..].Any(i => i.IntentId == r.IntentId)), r =>
        {
            Assert.Equal("Blocked", r.Outcome);
            Assert.Equal([ReasonCodes.CampaignCancelled], r.Reasons);
        });
        Assert.Equal(HttpStatusCode.BadRequest, (await clinic.Http.PostAsync($"/api/campaigns/{id}/queue", null)).StatusCode);
        var report = (await clinic.Http.GetFromJsonAsync<CampaignReport>($"/api/campaigns/{id}"))!;
        Assert.Equal("cancelled", report.Status);
        Assert.Equal(20, report.Reasons.Single(r => r.Key == ReasonCodes.CampaignCancelled).Count);
    }

    [Fact]
    public async Task Should_requeue_each_recipient_on_the_channel_of_the_first_queue_after_a_consent_change()
    {
        // Preference email then SMS, audience "granted on SMS": everyone starts on email. The fan-out dies part-way,
        // every email grant is then withdrawn: choosing again would move everyone to SMS (new intent ids).
        const int recipients = 1_500;
        var clinic = await Clinic.CreateAsync(gateway, AlwaysOpen());
        await SeedGrantedPatientsAsync(clinic.TenantId, recipients, "email", "sms");
        var id = await Campaigns.CreateAsync(clinic.TenantId, Definition(["email", "sms"], audienceChannel: "sms"), new("test"), default);

        using var kill = new CancellationTokenSource();
        var confirmedBeforeKill = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Campaigns.QueueAsync(clinic.TenantId, id, (done, total) =>
        {
            confirmedBeforeKill = done;
            if (done > 0 && done < total)
            {
                kill.Cancel();
            }
        }, kill.Token));
        Assert.InRange(confirmedBeforeKill, 1, recipients - 1);
        var firstRun = await WaitForCampaignAsync(clinic.TenantId, id, confirmedBeforeKill);
        Assert.All(firstRun, r => Assert.Equal("email", r.Channel));
        Assert.Contains(firstRun, r => r.Outcome == "Sent");

        var now = DateTimeOffset.UtcNow;
        await TestConsents.AppendAsync(gateway.Db, Enumerable.Range(1, recipients)
            .Select(g => TestConsents.MarketingWithdrawal(clinic.TenantId, $"bulk-{g}", "email", "staff_entry", now)));

        var again = await Campaigns.QueueAsync(clinic.TenantId, id, null, default);
        Assert.True(again.Ok, string.Join("; ", again.Problems));
        Assert.Equal(recipients, again.Published);

        var rows = await WaitForCampaignAsync(clinic.TenantId, id, recipients, TimeSpan.FromMinutes(3));
        Assert.Equal(recipients, rows.Count);
        Assert.All(rows, r => Assert.Equal("email", r.Channel)); // kept: no SMS intent was ever made
        Assert.Equal(recipients, rows.Select(r => r.PatientId).Distinct().Count());
        // Not reached before the withdrawal: blocked by the gateway on the kept channel.
        Assert.All(rows.Where(r => r.Outcome != "Sent"), r => Assert.Equal([ReasonCodes.NoMarketingConsent], r.Reasons));

        var sent = rows.Count(r => r.Outcome == "Sent");
        Assert.Equal(sent, (await WaitForAcceptedAsync(id, sent)).Count);
        AssertEachPatientReachedAtMostOnce(id);
    }

    [Fact]
    public async Task Should_report_provider_refusals_as_Failed_with_the_provider_code()
    {
        var clinic = await Clinic.CreateAsync(gateway, AlwaysOpen());
        var delivered = await PatientAsync(clinic, phone: false);
        (await clinic.GrantAsync(delivered, "email")).EnsureSuccessStatusCode();
        var optedOut = Clinic.NewPatient();
        var rejected = Clinic.NewPatient();
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            // Twilio's magic opted-out number and SendGrid's refused domain: addresses the contacts API would not take.
            // The refused address reads the English template: not the same email as the delivered one, so it never
            // shares a SendGrid request with it (a refused request fails all its recipients: SendGridBulkTests).
            await connection.ExecuteAsync("""
                insert into contacts (tenant_id, patient_id, first_name, email, phone_e164, locale, updated_by) values
                    (@t, @optedOut, 'Camille', null, @phone, 'fr', 'tests'),
                    (@t, @rejected, 'Camille', @email, null, 'en', 'tests')
                """, new { t = clinic.TenantId, optedOut, rejected, phone = FakeProviderServer.OptedOutNumber, email = Guid.NewGuid().ToString("N") + FakeProviderServer.RejectedEmailDomain });
        }

        (await clinic.GrantAsync(optedOut, "sms")).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(rejected, "email")).EnsureSuccessStatusCode();
        var id = await Campaigns.CreateAsync(clinic.TenantId, Definition(["sms", "email"], [delivered, optedOut, rejected]), new("test"), default);
        Assert.True((await Campaigns.QueueAsync(clinic.TenantId, id, null, default)).Ok);

        Assert.All(await WaitForCampaignAsync(clinic.TenantId, id, 3), r => Assert.Equal("Sent", r.Outcome)); // the decision row stays Sent
        CampaignReport report;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            await Task.Delay(200);
            report = (await clinic.Http.GetFromJsonAsync<CampaignReport>($"/api/campaigns/{id}"))!;
        }
        while (report.Outcomes.Where(o => o.Key == "Failed").Sum(o => o.Count) < 2 && DateTime.UtcNow < deadline);

        Assert.Equal(
            [new CountRow("Failed", "email", 1), new CountRow("Failed", "sms", 1), new CountRow("Sent", "email", 1)],
            report.Outcomes);
        Assert.Contains(new CountRow(ReasonCodes.RecipientOptedOut, "Failed", 1), report.Reasons);
        Assert.Contains(new CountRow(ReasonCodes.ProviderRejected, "Failed", 1), report.Reasons);
        Assert.Equal(
            [new CountRow("sendgrid 400", ReasonCodes.ProviderRejected, 1), new CountRow("twilio 21610", ReasonCodes.RecipientOptedOut, 1)],
            report.ProviderFailures.OrderBy(f => f.Key, StringComparer.Ordinal));
        Assert.Equal(3, report.Decided);

        var csv = (await clinic.Http.GetStringAsync($"/api/campaigns/{id}/recipients.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",provider_code", csv[0], StringComparison.Ordinal);
        var optedOutLine = csv.Single(l => l.StartsWith(optedOut + ",", StringComparison.Ordinal));
        Assert.StartsWith($"{optedOut},sms,Failed,{ReasonCodes.MarketingConsentGranted};", optedOutLine, StringComparison.Ordinal);
        Assert.Contains($"{ReasonCodes.RecipientOptedOut},failed,", optedOutLine, StringComparison.Ordinal);
        Assert.EndsWith(",21610", optedOutLine, StringComparison.Ordinal);
        Assert.EndsWith(",400", csv.Single(l => l.StartsWith(rejected + ",", StringComparison.Ordinal)), StringComparison.Ordinal);
        var deliveredLine = csv.Single(l => l.StartsWith(delivered + ",", StringComparison.Ordinal));
        Assert.StartsWith($"{delivered},email,Sent,", deliveredLine, StringComparison.Ordinal);
        Assert.EndsWith(",", deliveredLine, StringComparison.Ordinal); // no provider code
    }

    [Fact]
    public async Task Should_preview_an_SMS_campaign_as_the_gateway_decides_it_footer_check_included()
    {
        var clinic = await Clinic.CreateAsync(gateway, AlwaysOpen());
        var english = await PatientAsync(clinic, locale: "en");
        var french = await PatientAsync(clinic);
        var noGrant = await PatientAsync(clinic, locale: "en");
        (await clinic.GrantAsync(english, "sms")).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(french, "sms")).EnsureSuccessStatusCode();
        // The French text fits the SMS limit (1,600) alone, but not with its unsubscribe footer.
        var tooLong = "Bonjour {{ patient.first_name }}, " + string.Concat(Enumerable.Repeat("offre peeling -20 % ce mois-ci. ", 46));
        Assert.InRange(tooLong.Length, 1_450, 1_550);
        var definition = Definition(["sms"], [english, french, noGrant], template: tooLong);

        var preview = await PreviewAsync(clinic, definition);
        var sms = Assert.Single(preview.Channels);
        Assert.Equal(new Dictionary<string, int> { ["Sent"] = 1, ["Blocked"] = 2 }, sms.OutcomeCounts());
        Assert.Equal(new Dictionary<string, int>
        {
            [ReasonCodes.MarketingConsentGranted] = 1, [ReasonCodes.FooterExceedsLimit] = 1, [ReasonCodes.NoMarketingConsent] = 1,
        }, sms.FirstReasons());
        Assert.Equal((english, "Sent"), (preview.Samples[0].PatientId, preview.Samples[0].Outcome));

        var (id, _) = await AssertOutcomesAsPreviewedAsync(clinic, definition, sms, 3);
        var sent = Assert.Single(await WaitForAcceptedAsync(id, 1));
        Assert.Equal(preview.Samples[0].Body.Length, sent.Text!.Length); // the same footer, link length included
    }

    // WhatsApp's 24-hour window: a patient who wrote recently gets the free-form message; one who did not, with no
    // clinic template to fall back on, is Blocked WhatsAppWindowClosed, in the preview as by the gateway.
    [Fact]
    public async Task Should_preview_the_WhatsApp_window_as_the_gateway_decides_it()
    {
        var clinic = await Clinic.CreateAsync(gateway, AlwaysOpen());
        var wrote = await PatientAsync(clinic);
        var silent = await PatientAsync(clinic);
        (await clinic.GrantAsync(wrote, "whatsapp")).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(silent, "whatsapp")).EnsureSuccessStatusCode();
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("insert into whatsapp_sessions (tenant_id, patient_id, last_inbound_at) values (@t, @p, now())",
                new { t = clinic.TenantId, p = wrote });
        }

        var definition = Definition(["whatsapp"], [wrote, silent]);
        var preview = await PreviewAsync(clinic, definition);
        var whatsApp = Assert.Single(preview.Channels);
        Assert.Equal(new Dictionary<string, int> { ["Sent"] = 1, ["Blocked"] = 1 }, whatsApp.OutcomeCounts());
        Assert.Equal(new Dictionary<string, int> { [ReasonCodes.MarketingConsentGranted] = 1, [ReasonCodes.WhatsAppWindowClosed] = 1 }, whatsApp.FirstReasons());

        var (_, rows) = await AssertOutcomesAsPreviewedAsync(clinic, definition, whatsApp, 2);
        Assert.Equal([ReasonCodes.WhatsAppWindowClosed], rows.Single(r => r.PatientId == silent).Reasons);
    }

    [Fact]
    public async Task Should_preview_quiet_hours_as_the_gateway_decides_them()
    {
        // A window that never opens: every marketing SMS is Deferred (QuietHours), email is not held.
        var clinic = await Clinic.CreateAsync(gateway, new() { ["marketing_window_start"] = "00:00", ["marketing_window_end"] = "00:00" });
        var sms = await PatientAsync(clinic);
        var email = await PatientAsync(clinic);
        (await clinic.GrantAsync(sms, "sms")).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(email, "email")).EnsureSuccessStatusCode();
        var definition = Definition(["sms", "email"], [sms, email]);

        var preview = await PreviewAsync(clinic, definition);
        var smsPreview = preview.Channels.Single(c => c.Channel == "sms");
        Assert.Equal(new Dictionary<string, int> { ["Deferred"] = 1 }, smsPreview.OutcomeCounts());
        Assert.Equal(new Dictionary<string, int> { [ReasonCodes.QuietHours] = 1 }, smsPreview.FirstReasons());
        Assert.Equal(new Dictionary<string, int> { ["Sent"] = 1 }, preview.Channels.Single(c => c.Channel == "email").OutcomeCounts());

        var (_, rows) = await AssertOutcomesAsPreviewedAsync(clinic, definition, smsPreview, 2);
        Assert.Equal("Sent", rows.Single(r => r.PatientId == email).Outcome);
    }

    [Fact]
    public async Task Should_defer_a_campaign_until_notBefore_and_block_it_as_Expired_after_expiresAt()
    {
        var clinic = await Clinic.CreateAsync(gateway, AlwaysOpen());
        var patient = await PatientAsync(clinic);
        (await clinic.GrantAsync(patient, "email")).EnsureSuccessStatusCode();
        var notBefore = DateTimeOffset.UtcNow.AddDays(2);
        notBefore = notBefore.AddTicks(-(notBefore.Ticks % TimeSpan.TicksPerSecond)); // whole seconds: the database keeps microseconds

        var later = Definition(["email"], [patient]) with { Name = "Later", NotBefore = notBefore, ExpiresAt = notBefore.AddDays(7) };
        var preview = await PreviewAsync(clinic, later);
        Assert.Equal(new Dictionary<string, int> { [ReasonCodes.NotYetDue] = 1 }, Assert.Single(preview.Channels).FirstReasons());
        var laterId = await Campaigns.CreateAsync(clinic.TenantId, later, new("test"), default);
        Assert.True((await Campaigns.QueueAsync(clinic.TenantId, laterId, null, default)).Ok);
        var deferred = Assert.Single(await WaitForCampaignAsync(clinic.TenantId, laterId, 1));
        Assert.Equal("Deferred", deferred.Outcome);
        Assert.Equal([ReasonCodes.NotYetDue], deferred.Reasons);
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            // Parked until exactly notBefore: the sweeper decides it again then.
            // The pipeline parks the intent right after its Deferred decision is committed: wait for the row.
            var dueAt = await Poll.UntilAsync(() => connection.ExecuteScalarAsync<DateTime?>(
                "select due_at from deferred_intents where tenant_id = @t and intent_id = @i", new { t = clinic.TenantId, i = deferred.IntentId }),
                due => due is not null, TimeSpan.FromSeconds(10));

            Assert.NotNull(dueAt);
            Assert.Equal(notBefore.UtcDateTime, DateTime.SpecifyKind(dueAt.Value, DateTimeKind.Utc));
        }

        var stale = Definition(["email"], [patient]) with { Name = "Stale", NotBefore = DateTimeOffset.UtcNow.AddDays(-8), ExpiresAt = DateTimeOffset.UtcNow.AddDays(-1) };
        Assert.Equal(new Dictionary<string, int> { [ReasonCodes.Expired] = 1 }, Assert.Single((await PreviewAsync(clinic, stale)).Channels).FirstReasons());
        var staleId = await Campaigns.CreateAsync(clinic.TenantId, stale, new("test"), default);
        Assert.True((await Campaigns.QueueAsync(clinic.TenantId, staleId, null, default)).Ok);
        var expired = Assert.Single(await WaitForCampaignAsync(clinic.TenantId, staleId, 1));
        Assert.Equal("Blocked", expired.Outcome);
        Assert.Equal([ReasonCodes.Expired], expired.Reasons);
        Assert.Empty(Accepted(laterId));
        Assert.Empty(Accepted(staleId));
    }

    [Fact]
    public async Task Should_attribute_unsubscribes_from_the_campaigns_email_and_SMS_links()
    {
        var clinic = await Clinic.CreateAsync(gateway, AlwaysOpen());
        var byEmail = await PatientAsync(clinic);
        var bySms = await PatientAsync(clinic);
        (await clinic.GrantAsync(byEmail, "email")).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(bySms, "sms")).EnsureSuccessStatusCode();
        var id = await Campaigns.CreateAsync(clinic.TenantId, Definition(["email", "sms"], [byEmail, bySms]), new("test"), default);
        Assert.True((await Campaigns.QueueAsync(clinic.TenantId, id, null, default)).Ok);
        var messages = await WaitForAcceptedAsync(id, 2);
        Assert.Equal(2, messages.Count);

        using var client = gateway.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        foreach (var (channel, expected) in new[] { ("email", 1), ("sms", 2) })
        {
            var text = messages.Single(m => m.Channel == channel).Text!;
            var link = new Uri(UnsubscribeLink().Match(text).Value);
            using var response = await client.PostAsync(link.PathAndQuery, new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded"));
            response.EnsureSuccessStatusCode();
            Assert.Equal(expected, (await clinic.Http.GetFromJsonAsync<CampaignReport>($"/api/campaigns/{id}"))!.Unsubscribes);
        }

        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(
            [(byEmail, "email", id), (bySms, "sms", id)],
            (await connection.QueryAsync<(string, string, string)>(
                "select patient_id, channel, campaign_id from unsubscribe_events where tenant_id = @t order by channel", new { t = clinic.TenantId })).ToList());
    }

    [GeneratedRegex(@"https?://[^\s<>""]+/u/[A-Za-z0-9_-]+")]
    private static partial Regex UnsubscribeLink();

    private async Task<CampaignPreview> PreviewAsync(Clinic clinic, CampaignDefinition definition)
    {
        var response = await clinic.Http.PostAsJsonAsync("/api/campaigns/preview", definition);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CampaignPreview>())!;
    }

    /// <summary>Queues the previewed campaign and checks the gateway decided one channel exactly as previewed.</summary>
    private async Task<(string CampaignId, IReadOnlyList<(string IntentId, string PatientId, string Channel, string Outcome, string[] Reasons)> Rows)> AssertOutcomesAsPreviewedAsync(
        Clinic clinic, CampaignDefinition definition, ChannelPreview previewed, int recipients)
    {
        var queued = await clinic.Http.PostAsJsonAsync("/api/campaigns", definition);
        Assert.Equal(HttpStatusCode.Created, queued.StatusCode);
        var id = (await queued.Content.ReadFromJsonAsync<QueueResult>())!.CampaignId;
        var rows = await WaitForCampaignAsync(clinic.TenantId, id, recipients);
        Assert.Equal(recipients, rows.Count);
        var channel = rows.Where(r => r.Channel == previewed.Channel).ToList();
        Assert.Equal(previewed.OutcomeCounts().OrderBy(o => o.Key), channel.GroupBy(r => r.Outcome).Select(g => KeyValuePair.Create(g.Key, g.Count())).OrderBy(o => o.Key));
        Assert.Equal(previewed.FirstReasons().OrderBy(o => o.Key), channel.GroupBy(r => r.Reasons[0]).Select(g => KeyValuePair.Create(g.Key, g.Count())).OrderBy(o => o.Key));
        return (id, rows);
    }

    /// <summary>Bulk seeding straight into the tables (the API would take minutes for thousands).</summary>
    private async Task SeedGrantedPatientsAsync(string tenantId, int count, params string[] channels)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into contacts (tenant_id, patient_id, first_name, email, phone_e164, locale, updated_by)
            select @tenantId, 'bulk-' || g, 'Patient' || g, 'bulk-' || g || '-' || @tenantId || '@example.fr', '+33612' || lpad(g::text, 6, '0'), 'fr', 'tests'
            from generate_series(1, @count) g;
            """, new { tenantId, count });
        string[] granted = channels.Length > 0 ? channels : ["email"];
        await TestConsents.AppendAsync(gateway.Db, Enumerable.Range(1, count)
            .SelectMany(g => granted.Select(c => TestConsents.MarketingGrant(tenantId, $"bulk-{g}", c, capturedBy: "tests"))));
    }
}

/// <summary>The grouped preview read flat, for comparison with decision rows: outcome counts, and first reasons whatever the outcome.</summary>
internal static class ChannelPreviewCounts
{
    public static Dictionary<string, int> OutcomeCounts(this ChannelPreview channel) =>
        channel.Outcomes.ToDictionary(o => o.Key, o => o.Value.Count, StringComparer.Ordinal);

    public static Dictionary<string, int> FirstReasons(this ChannelPreview channel) => channel.Outcomes.Values
        .SelectMany(o => o.Reasons).GroupBy(r => r.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(r => r.Value), StringComparer.Ordinal);
}

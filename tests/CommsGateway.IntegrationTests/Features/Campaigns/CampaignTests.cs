using System.Net;
using System.Net.Http.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Campaigns;
using CommsGateway.IntegrationTests.Features.Consent;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Campaigns;

/// <summary>Issue 7 on the real servers: preview = outcome, idempotent re-queue, cancel, placeholders, channel preference.</summary>
[Collection(GatewayCollection.Name)]
public sealed class CampaignTests(GatewayFixture gateway)
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

    private async Task<string> PatientAsync(Clinic clinic, string? firstName = "Camille", bool email = true, bool phone = true)
    {
        var patient = Clinic.NewPatient();
        var (address, _, e164) = PatientDataTests.NewAddresses();
        (await clinic.PutContactAsync(patient, new { firstName, email = email ? address : null, phone = phone ? e164 : null, locale = "fr" })).EnsureSuccessStatusCode();
        return patient;
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
            await connection.ExecuteAsync("""
                insert into suppressions (tenant_id, channel, address_hash, reason)
                select tenant_id, 'email', sha256(convert_to(email, 'UTF8')), 'hard_bounce' from contacts where tenant_id = @t and patient_id = @p
                """, new { t = clinic.TenantId, p = suppressed });
        }

        var definition = Definition(["email"], [granted, noGrant, withdrawn, suppressed, noEmail, lapsed, "not-on-record"]);

        var previewResponse = await clinic.Http.PostAsJsonAsync("/api/campaigns/preview", definition);
        previewResponse.EnsureSuccessStatusCode();
        var preview = (await previewResponse.Content.ReadFromJsonAsync<CampaignPreview>())!;
        Assert.Equal(7, preview.AudienceSize);
        Assert.Equal(["not-on-record"], preview.UnknownPatientIds);
        var email = Assert.Single(preview.Channels);
        Assert.Equal(6, email.Recipients);
        Assert.Equal(new Dictionary<string, int> { ["Sent"] = 1, ["Blocked"] = 5 }, email.Outcomes);
        Assert.Equal(new Dictionary<string, int>
        {
            [ReasonCodes.MarketingConsentGranted] = 1, [ReasonCodes.NoMarketingConsent] = 2, [ReasonCodes.Suppressed] = 1,
            [ReasonCodes.NoContactPoint] = 1, [ReasonCodes.ConsentLapsed] = 1,
        }, email.Reasons);
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
        Assert.Equal(email.Outcomes.OrderBy(o => o.Key), rows.GroupBy(r => r.Outcome).Select(g => KeyValuePair.Create(g.Key, g.Count())).OrderBy(o => o.Key));
        Assert.Equal(email.Reasons.OrderBy(o => o.Key), rows.GroupBy(r => r.Reasons[0]).Select(g => KeyValuePair.Create(g.Key, g.Count())).OrderBy(o => o.Key));
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

    /// <summary>Bulk seeding straight into the tables (the API would take minutes for thousands).</summary>
    private async Task SeedGrantedPatientsAsync(string tenantId, int count)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into contacts (tenant_id, patient_id, first_name, email, locale, updated_by)
            select @tenantId, 'bulk-' || g, 'Patient' || g, 'bulk-' || g || '-' || @tenantId || '@example.fr', 'fr', 'tests'
            from generate_series(1, @count) g;
            insert into consent_events (tenant_id, patient_id, purpose, channel, action, occurred_at, source, wording_version, wording_sha256, captured_by, recorded_by)
            select @tenantId, 'bulk-' || g, 'marketing', 'email', 'grant', now() - interval '1 day', 'web_form', 'mkt-v3', @sha, 'tests', 'tests'
            from generate_series(1, @count) g;
            """, new { tenantId, count, sha = Clinic.WordingSha256 });
    }
}

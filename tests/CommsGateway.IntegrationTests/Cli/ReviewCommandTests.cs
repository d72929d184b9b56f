using System.Text.Json;
using System.Text.RegularExpressions;
using CommsGateway.Contracts;
using CommsGateway.IntegrationTests.Features.Review;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>
/// `commsgw review ...` as a person at the clinic types it, on the real servers: intents published to RabbitMQ, held by
/// the gateway, settled with the CLI, then decided by the gateway's pipeline (fake provider at the HTTP boundary).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class ReviewCommandTests(GatewayFixture gateway)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(gateway.Services, args);

    internal static async Task<(Clinic Clinic, string Patient)> ClinicAsync(GatewayFixture gateway)
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { phone = "+33612345678", email = "patient@example.org", locale = "en" })).EnsureSuccessStatusCode();
        return (clinic, patient);
    }

    internal static MessageIntent Sms(string tenant, string patient, string body, Purpose declared = Purpose.Service) => new()
    {
        IntentId = $"rv-{Guid.NewGuid():N}",
        TenantId = tenant,
        Producer = "booking",
        PatientId = patient,
        Channel = Channel.Sms,
        DeclaredPurpose = declared,
        Category = declared == Purpose.Service ? "appointment_reminder" : "newsletter",
        Locale = "en",
        Body = body,
    };

    /// <summary>Publishes the intent and waits for its Held decision; returns the held id, found with `review list --json`.</summary>
    internal static async Task<Guid> PublishHeldAsync(GatewayFixture gateway, MessageIntent intent, Func<string[], Task<CliResult>>? cli = null)
    {
        await gateway.PublishAsync(intent);
        var rows = await gateway.WaitForDecisionsAsync(intent.TenantId, intent.IntentId);
        var held = Assert.Single(rows);
        Assert.True(held.Outcome == "Held", $"{held.Outcome}: {string.Join(",", held.Reasons)}");
        Assert.Equal([ReasonCodes.ClassificationUncertain], held.Reasons);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await Poll.UntilAsync(() => connection.QueryFirstOrDefaultAsync<Guid>(
            "select held_id from held_intents where tenant_id = @TenantId and intent_id = @IntentId", new { intent.TenantId, intent.IntentId }),
            id => id != Guid.Empty);
    }

    private static IReadOnlyList<DecisionRow> Final(IReadOnlyList<DecisionRow> rows) => [.. rows.Where(r => r.Outcome is not ("Held" or "Deferred"))];

    [Fact]
    public async Task Should_send_an_uncertain_reminder_once_approved_with_the_cli_citing_the_review()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        var (clinic, patient) = await ClinicAsync(gateway);
        var intent = Sms(clinic.TenantId, patient, UncertainSamples.Reminder);
        var heldId = await PublishHeldAsync(gateway, intent);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);

        var list = await RunAsync("review", "list", "--tenant", clinic.TenantId, "--json");
        Assert.Equal(0, list.ExitCode);
        var listed = Assert.Single(JsonSerializer.Deserialize<List<JsonElement>>(list.Out, Json)!);
        Assert.Equal(heldId, listed.GetProperty("heldId").GetGuid());
        Assert.DoesNotContain("Marie", list.Out, StringComparison.Ordinal); // the list carries no content

        var show = await RunAsync("review", "show", "--tenant", clinic.TenantId, heldId.ToString());
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("book online anytime", show.Console, StringComparison.Ordinal);
        Assert.Contains("booking-invitation", show.Console, StringComparison.Ordinal);

        var approve = await RunAsync("review", "approve", "--tenant", clinic.TenantId, heldId.ToString(), "--actor", "dr.martin", "--note", "a reminder");
        Assert.True(approve.ExitCode == 0, approve.Console);

        var rows = await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 2);
        Assert.Equal(["Held", "Sent"], rows.Select(r => r.Outcome));
        var sent = rows[1];
        Assert.Equal([ReasonCodes.ReviewedAsService, ReasonCodes.ServiceMessage], sent.Reasons);
        Assert.Equal("service", sent.DetectedPurpose);
        Assert.Contains(sent.Details, d => d.Contains($"held {heldId}", StringComparison.Ordinal) && d.Contains("dr.martin", StringComparison.Ordinal));
        var accepted = await Poll.UntilAsync(() => Task.FromResult(gateway.Fake.Accepted.Where(m => m.IntentId == intent.IntentId).ToList()), a => a.Count > 0);
        Assert.Single(accepted);
        var decided = await gateway.WaitForDecidedAsync(intent.IntentId, count: 2);
        Assert.Contains(decided, d => d.Outcome == DecisionOutcome.Sent && d.DecisionId == sent.DecisionId);

        var again = await RunAsync("review", "approve", "--tenant", clinic.TenantId, heldId.ToString(), "--actor", "dr.other");
        Assert.Equal(4, again.ExitCode);
        Assert.Contains("already settled as service by", again.Console, StringComparison.Ordinal);
        await Task.Delay(300); // a late second final row or send would show up here
        Assert.Single(Final(await gateway.DecisionsAsync(clinic.TenantId, intent.IntentId)));
        Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
    }

    [Fact]
    public async Task Should_block_a_held_promotion_marked_marketing_without_consent_and_send_nothing()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Promotion);
        var (clinic, patient) = await ClinicAsync(gateway);
        var intent = Sms(clinic.TenantId, patient, UncertainSamples.Promotion, Purpose.Marketing);
        var heldId = await PublishHeldAsync(gateway, intent);

        var mark = await RunAsync("review", "mark-marketing", "--tenant", clinic.TenantId, heldId.ToString(), "--actor", "front.desk");
        Assert.True(mark.ExitCode == 0, mark.Console);

        var rows = await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 2);
        Assert.Equal(["Held", "Blocked"], rows.Select(r => r.Outcome));
        Assert.Equal([ReasonCodes.ReviewedAsMarketing, ReasonCodes.NoMarketingConsent], rows[1].Reasons);
        Assert.Equal("marketing", rows[1].DetectedPurpose);
        await Task.Delay(300);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
    }

    [Fact]
    public async Task Should_send_the_next_message_of_an_approved_template_at_once_and_hold_it_again_after_revoke()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        UncertainSamples.AssertUncertain(UncertainSamples.SameTemplateReminder);
        var (clinic, patient) = await ClinicAsync(gateway);
        var first = Sms(clinic.TenantId, patient, UncertainSamples.Reminder);
        var heldId = await PublishHeldAsync(gateway, first);
        Assert.Equal(0, (await RunAsync("review", "approve", "--tenant", clinic.TenantId, heldId.ToString(), "--actor", "dr.martin")).ExitCode);
        await gateway.WaitForDecisionsAsync(clinic.TenantId, first.IntentId, count: 2);

        var next = Sms(clinic.TenantId, patient, UncertainSamples.SameTemplateReminder);
        await gateway.PublishAsync(next);
        var row = Assert.Single(await gateway.WaitForDecisionsAsync(clinic.TenantId, next.IntentId));
        Assert.Equal("Sent", row.Outcome);
        Assert.Equal([ReasonCodes.TemplateVerdict, ReasonCodes.ServiceMessage], row.Reasons);
        Assert.Contains(row.Details, d => d.Contains($"from held {heldId}", StringComparison.Ordinal) && d.Contains("dr.martin", StringComparison.Ordinal));
        await Poll.UntilAsync(() => Task.FromResult(gateway.Fake.Accepted.Count(m => m.IntentId == next.IntentId)), n => n > 0);
        Assert.Single(gateway.Fake.Accepted, m => m.IntentId == next.IntentId);

        var templates = await RunAsync("review", "templates", "--tenant", clinic.TenantId, "--json");
        var template = Assert.Single(JsonSerializer.Deserialize<List<JsonElement>>(templates.Out, Json)!);
        Assert.Equal("service", template.GetProperty("verdict").GetString());
        var templateId = template.GetProperty("templateId").GetInt64();
        var revoke = await RunAsync("review", "revoke", "--tenant", clinic.TenantId, templateId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--actor", "dpo");
        Assert.True(revoke.ExitCode == 0, revoke.Console);

        var third = Sms(clinic.TenantId, patient, UncertainSamples.SameTemplateReminder.Replace("John", "Ana", StringComparison.Ordinal));
        await PublishHeldAsync(gateway, third);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == third.IntentId);
    }

    [Fact]
    public async Task Should_block_a_held_intent_nobody_reviews_before_it_expires_and_purge_its_content()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        var (clinic, patient) = await ClinicAsync(gateway);
        var intent = Sms(clinic.TenantId, patient, UncertainSamples.Reminder) with { ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(8) };
        var heldId = await PublishHeldAsync(gateway, intent);

        var rows = await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 2);
        Assert.Equal(["Held", "Blocked"], rows.Select(r => r.Outcome));
        Assert.Equal([ReasonCodes.ReviewTimedOut], rows[1].Reasons);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var state = await Poll.UntilAsync(() => connection.QuerySingleAsync<(string Status, bool Purged)>(
            "select status, content is null from held_intents where held_id = @heldId", new { heldId }), s => s.Status == "timed_out");
        Assert.Equal(("timed_out", true), state);

        var late = await RunAsync("review", "approve", "--tenant", clinic.TenantId, heldId.ToString(), "--actor", "dr.late");
        Assert.Equal(4, late.ExitCode);
        Assert.Contains("timed out", late.Console, StringComparison.Ordinal);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
    }

    [Fact]
    public async Task Should_export_reviewed_messages_as_labelled_lines_with_personal_data_masked()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        var (clinic, patient) = await ClinicAsync(gateway);
        var intent = Sms(clinic.TenantId, patient, UncertainSamples.Reminder + " Questions? Call 01 42 68 53 00 or marie.durand@example.org.");
        var heldId = await PublishHeldAsync(gateway, intent);
        Assert.Equal(0, (await RunAsync("review", "approve", "--tenant", clinic.TenantId, heldId.ToString(), "--actor", "dr.martin", "--note", "reminder")).ExitCode);
        await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 2);

        var export = await RunAsync("review", "export-labels", "--tenant", clinic.TenantId);
        Assert.Equal(0, export.ExitCode);
        var line = JsonSerializer.Deserialize<JsonElement>(Assert.Single(export.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("service", line.GetProperty("label").GetString());
        Assert.Equal("review", line.GetProperty("kind").GetString());
        Assert.Equal("sms", line.GetProperty("channel").GetString());
        Assert.Equal("en", line.GetProperty("lang").GetString());
        Assert.Equal("reminder", line.GetProperty("note").GetString());
        var body = line.GetProperty("body").GetString()!;
        Assert.Contains("your appointment with", body, StringComparison.Ordinal);
        foreach (var personal in new[] { "Marie", "Martin", "12/03", "14:30", "01 42", "example.org" })
        {
            Assert.DoesNotContain(personal, body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Should_refuse_to_queue_a_campaign_with_an_unsure_template_until_it_is_reviewed()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.CampaignRendered, Channel.Email);
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { firstName = "Camille", email = $"{patient}@example.org", locale = "fr" })).EnsureSuccessStatusCode();
        var files = Directory.CreateTempSubdirectory("commsgw-review-");
        try
        {
            var template = Path.Combine(files.FullName, "t.liquid");
            await File.WriteAllTextAsync(template, UncertainSamples.CampaignTemplate);
            var patients = Path.Combine(files.FullName, "p.csv");
            await File.WriteAllLinesAsync(patients, ["patient_id", patient]);
            string[] definition = ["--name", "New care", "--template-fr-file", template, "--subject-fr", "Bonjour", "--channels", "email", "--patients", patients];

            var preview = await RunAsync(["campaign", "preview", "--tenant", clinic.TenantId, .. definition]);
            Assert.Contains("Review needed", preview.Console, StringComparison.Ordinal);

            var queue = await RunAsync(["campaign", "queue", "--tenant", clinic.TenantId, "--yes", .. definition]);
            Assert.Equal(1, queue.ExitCode);
            Assert.Contains("needs a review", queue.Console, StringComparison.Ordinal);
            Assert.Contains("Nothing was queued", queue.Console, StringComparison.Ordinal);
            var campaignId = Created().Match(queue.Console).Groups[1].Value;

            var approve = await RunAsync("review", "approve-campaign", "--tenant", clinic.TenantId, campaignId, "--as", "marketing", "--actor", "marketing.lead");
            Assert.True(approve.ExitCode == 0, approve.Console);
            Assert.Contains("for 1 template(s)", approve.Console, StringComparison.Ordinal);

            var queued = await RunAsync("campaign", "queue", "--tenant", clinic.TenantId, "--id", campaignId, "--yes");
            Assert.True(queued.ExitCode == 0, queued.Console);
            await using var connection = await gateway.Db.OpenConnectionAsync();
            var row = await Poll.UntilAsync(() => connection.QueryFirstOrDefaultAsync<(string Outcome, string[] Reasons)?>(
                "select outcome, reasons from decisions where tenant_id = @TenantId and campaign_id = @campaignId and outcome not in ('Held', 'Deferred')",
                new { clinic.TenantId, campaignId }), r => r is not null);
            // A campaign goes under the marketing rules whatever its wording (no consent here, so blocked), never held.
            Assert.Equal("Blocked", row!.Value.Outcome);
            Assert.Equal([ReasonCodes.NoMarketingConsent], row.Value.Reasons);
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
                "select count(*) from decisions where tenant_id = @TenantId and campaign_id = @campaignId and outcome = 'Held'", new { clinic.TenantId, campaignId }));
        }
        finally
        {
            files.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"Created campaign (\S+)")]
    private static partial Regex Created();
}

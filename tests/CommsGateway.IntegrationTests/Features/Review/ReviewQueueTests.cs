using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Review;
using CommsGateway.IntegrationTests.Cli;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Review;

/// <summary>The review queue's storage (encrypted, purged) and its admin API, on the real servers.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ReviewQueueTests(GatewayFixture gateway)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Should_store_held_content_encrypted_and_purge_it_once_settled()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        var (clinic, patient) = await ReviewCommandTests.ClinicAsync(gateway);
        var intent = ReviewCommandTests.Sms(clinic.TenantId, patient, UncertainSamples.Reminder);
        var heldId = await ReviewCommandTests.PublishHeldAsync(gateway, intent);

        await using var connection = await gateway.Db.OpenConnectionAsync();
        // The whole row as PostgreSQL stores it (bytea in hex, and as text): no trace of the message.
        var raw = await connection.QuerySingleAsync<(byte[] Content, string Row)>(
            "select content, h::text from held_intents h where held_id = @heldId", new { heldId });
        foreach (var needle in new[] { "Book your next visit", "Marie", "Dr Martin" })
        {
            Assert.DoesNotContain(needle, raw.Row, StringComparison.Ordinal);
            Assert.DoesNotContain(needle, Encoding.UTF8.GetString(raw.Content), StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexStringLower(Encoding.UTF8.GetBytes(needle)), raw.Row, StringComparison.Ordinal);
        }

        // The decision log keeps hashes and signals, never the text.
        var held = Assert.Single(await gateway.DecisionsAsync(clinic.TenantId, intent.IntentId));
        Assert.Contains(held.Details, d => d.StartsWith("probability: ", StringComparison.Ordinal));
        Assert.Contains(held.Details, d => d.Contains("booking-invitation", StringComparison.Ordinal));
        Assert.DoesNotContain(held.Details, d => d.Contains("Marie", StringComparison.Ordinal));

        // The gateway itself reads it back (what a reviewer sees).
        var shown = await clinic.Http.GetFromJsonAsync<HeldDetail>(new Uri($"/api/review/{heldId}", UriKind.Relative), Json);
        Assert.Equal(UncertainSamples.Reminder, shown!.Body);

        var approved = await clinic.Http.PostAsJsonAsync($"/api/review/{heldId}/approve", new { note = "ok" });
        Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 2);
        var after = await Poll.UntilAsync(() => connection.QuerySingleAsync<(string Status, byte[]? Content, Guid? Final)>(
            "select status, content, final_decision_id from held_intents where held_id = @heldId", new { heldId }), s => s.Status == "decided");
        Assert.Equal("decided", after.Status);
        Assert.Null(after.Content);
        Assert.NotNull(after.Final);
        var purged = await clinic.Http.GetFromJsonAsync<HeldDetail>(new Uri($"/api/review/{heldId}", UriKind.Relative), Json);
        Assert.Null(purged!.Body);
        Assert.Equal("service", purged.Verdict);
        Assert.Contains("dr.martin", purged.ReviewedBy, StringComparison.Ordinal); // the X-Actor of the clinic's client
    }

    [Fact]
    public async Task Should_serve_the_review_api_per_clinic_key_and_hide_it_from_other_clinics()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Promotion);
        var (clinic, patient) = await ReviewCommandTests.ClinicAsync(gateway);
        var (other, _) = await ReviewCommandTests.ClinicAsync(gateway);
        var intent = ReviewCommandTests.Sms(clinic.TenantId, patient, UncertainSamples.Promotion, Purpose.Marketing);
        var heldId = await ReviewCommandTests.PublishHeldAsync(gateway, intent);

        var list = await clinic.Http.GetFromJsonAsync<List<HeldSummary>>(new Uri("/api/review", UriKind.Relative), Json);
        Assert.Equal(heldId, Assert.Single(list!).HeldId);
        Assert.Empty((await other.Http.GetFromJsonAsync<List<HeldSummary>>(new Uri("/api/review", UriKind.Relative), Json))!);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync(new Uri($"/api/review/{heldId}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.PostAsJsonAsync($"/api/review/{heldId}/mark-marketing", new { })).StatusCode);
        using var anonymous = gateway.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/review", UriKind.Relative))).StatusCode);

        var marked = await clinic.Http.PostAsJsonAsync($"/api/review/{heldId}/mark-marketing", new { note = "an announcement" });
        Assert.Equal(HttpStatusCode.Accepted, marked.StatusCode);
        var again = await clinic.Http.PostAsJsonAsync($"/api/review/{heldId}/approve", new { });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var conflict = await again.Content.ReadFromJsonAsync<AlreadySettled>(Json);
        Assert.Equal("marketing", conflict!.Verdict);
        Assert.Contains("already settled as marketing", conflict.Message, StringComparison.Ordinal);

        var rows = await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 2);
        Assert.Equal(["Held", "Blocked"], rows.Select(r => r.Outcome));
        Assert.Equal([ReasonCodes.ReviewedAsMarketing, ReasonCodes.NoMarketingConsent], rows[1].Reasons);

        var templates = await clinic.Http.GetFromJsonAsync<List<TemplateVerdictView>>(new Uri("/api/review/templates", UriKind.Relative), Json);
        var template = Assert.Single(templates!);
        Assert.Equal("marketing", template.Verdict);
        Assert.Equal(heldId, template.HeldId);
        Assert.Empty((await other.Http.GetFromJsonAsync<List<TemplateVerdictView>>(new Uri("/api/review/templates", UriKind.Relative), Json))!);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.DeleteAsync(new Uri($"/api/review/templates/{template.TemplateId}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await clinic.Http.DeleteAsync(new Uri($"/api/review/templates/{template.TemplateId}", UriKind.Relative))).StatusCode);
        var revoked = Assert.Single((await clinic.Http.GetFromJsonAsync<List<TemplateVerdictView>>(new Uri("/api/review/templates", UriKind.Relative), Json))!);
        Assert.NotNull(revoked.RevokedAt);
        Assert.Contains("dr.martin", revoked.RevokedBy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_block_and_purge_a_held_intent_when_its_patient_is_erased()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        var (clinic, patient) = await ReviewCommandTests.ClinicAsync(gateway);
        var intent = ReviewCommandTests.Sms(clinic.TenantId, patient, UncertainSamples.Reminder);
        var heldId = await ReviewCommandTests.PublishHeldAsync(gateway, intent);

        (await clinic.Http.DeleteAsync(new Uri($"/api/patients/{patient}", UriKind.Relative))).EnsureSuccessStatusCode();

        var rows = await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 2);
        Assert.Equal(["Held", "Blocked"], rows.Select(r => r.Outcome));
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var purged = await Poll.UntilAsync(() => connection.QuerySingleAsync<bool>(
            "select content is null from held_intents where held_id = @heldId", new { heldId }), p => p);
        Assert.True(purged);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
    }

    [Fact]
    public async Task Should_close_a_held_intent_whose_content_cannot_be_decrypted_without_stalling_the_queue()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        var (clinic, patient) = await ReviewCommandTests.ClinicAsync(gateway);
        var broken = ReviewCommandTests.Sms(clinic.TenantId, patient, UncertainSamples.Reminder);
        var brokenId = await ReviewCommandTests.PublishHeldAsync(gateway, broken);
        var healthy = ReviewCommandTests.Sms(clinic.TenantId, patient, UncertainSamples.Reminder);
        var healthyId = await ReviewCommandTests.PublishHeldAsync(gateway, healthy);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        // As if sealed under another key: same length, other bytes.
        await connection.ExecuteAsync("update held_intents set content = decode(repeat('ab', length(content)), 'hex') where held_id = @brokenId", new { brokenId });
        var queue = gateway.Services.GetRequiredService<ReviewQueue>();
        Assert.Equal(SettleStatus.Settled, (await queue.SettleAsync(clinic.TenantId, brokenId, ReviewQueue.Service, new Actor("test", "a"), null, default)).Status);
        Assert.Equal(SettleStatus.Settled, (await queue.SettleAsync(clinic.TenantId, healthyId, ReviewQueue.Service, new Actor("test", "a"), null, default)).Status);

        var brokenRows = await gateway.WaitForDecisionsAsync(clinic.TenantId, broken.IntentId, count: 2);
        Assert.Equal(["Held", "Blocked"], brokenRows.Select(r => r.Outcome));
        Assert.Equal([ReasonCodes.ReviewTimedOut], brokenRows[1].Reasons);
        Assert.Contains("review: the held content cannot be decrypted", brokenRows[1].Details);
        var healthyRows = await gateway.WaitForDecisionsAsync(clinic.TenantId, healthy.IntentId, count: 2);
        Assert.Equal(["Held", "Sent"], healthyRows.Select(r => r.Outcome));
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == broken.IntentId);
    }

    [Fact]
    public async Task Should_let_retention_remove_reviewed_intents_with_their_decisions_and_keep_the_template_verdict()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        var (clinic, patient) = await ReviewCommandTests.ClinicAsync(gateway);
        var intent = ReviewCommandTests.Sms(clinic.TenantId, patient, UncertainSamples.Reminder);
        var heldId = await ReviewCommandTests.PublishHeldAsync(gateway, intent);
        Assert.Equal(HttpStatusCode.Accepted, (await clinic.Http.PostAsJsonAsync($"/api/review/{heldId}/approve", new { })).StatusCode);
        await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 2);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await Poll.UntilAsync(() => connection.QuerySingleAsync<string>("select status from held_intents where held_id = @heldId", new { heldId }), s => s == "decided");

        var removed = await connection.QuerySingleAsync<int>(
            "select removed from retention_purge_decisions(@TenantId, now() + interval '1 day', false, 'test', false)", new { clinic.TenantId });

        Assert.Equal(2, removed);
        Assert.Equal(0, await connection.QuerySingleAsync<long>("select count(*) from held_intents where held_id = @heldId", new { heldId }));
        var template = Assert.Single((await clinic.Http.GetFromJsonAsync<List<TemplateVerdictView>>(new Uri("/api/review/templates", UriKind.Relative), Json))!);
        Assert.Null(template.HeldId);
        Assert.Null(template.RevokedAt);
    }

    [Fact]
    public async Task Should_defer_an_approved_intent_that_is_not_yet_due_and_send_it_when_due_with_the_review_cited()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        var (clinic, patient) = await ReviewCommandTests.ClinicAsync(gateway);
        var intent = ReviewCommandTests.Sms(clinic.TenantId, patient, UncertainSamples.Reminder) with { NotBefore = DateTimeOffset.UtcNow.AddSeconds(12) };
        var heldId = await ReviewCommandTests.PublishHeldAsync(gateway, intent);

        Assert.Equal(HttpStatusCode.Accepted, (await clinic.Http.PostAsJsonAsync($"/api/review/{heldId}/approve", new { })).StatusCode);

        var rows = await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 3);
        Assert.Equal(["Held", "Deferred", "Sent"], rows.Select(r => r.Outcome));
        Assert.Equal([ReasonCodes.ReviewedAsService, ReasonCodes.NotYetDue], rows[1].Reasons);
        Assert.Equal([ReasonCodes.ReviewedAsService, ReasonCodes.ServiceMessage], rows[2].Reasons);
        await Poll.UntilAsync(() => Task.FromResult(gateway.Fake.Accepted.Count(m => m.IntentId == intent.IntentId)), n => n > 0);
        Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId);
    }

    [Fact]
    public async Task Should_let_exactly_one_of_two_concurrent_reviewers_settle()
    {
        UncertainSamples.AssertUncertain(UncertainSamples.Reminder);
        var (clinic, patient) = await ReviewCommandTests.ClinicAsync(gateway);
        var intent = ReviewCommandTests.Sms(clinic.TenantId, patient, UncertainSamples.Reminder);
        var heldId = await ReviewCommandTests.PublishHeldAsync(gateway, intent);
        var queue = gateway.Services.GetRequiredService<ReviewQueue>();

        var results = await Task.WhenAll(
            Task.Run(() => queue.SettleAsync(clinic.TenantId, heldId, ReviewQueue.Service, new Actor("test", "reviewer.a"), null, CancellationToken.None)),
            Task.Run(() => queue.SettleAsync(clinic.TenantId, heldId, ReviewQueue.Marketing, new Actor("test", "reviewer.b"), null, CancellationToken.None)));

        Assert.Single(results, r => r.Status == SettleStatus.Settled);
        var loser = Assert.Single(results, r => r.Status == SettleStatus.AlreadySettled);
        var winner = results.Single(r => r.Status == SettleStatus.Settled);
        Assert.Equal(winner.Verdict, loser.Verdict);
        var rows = await gateway.WaitForDecisionsAsync(clinic.TenantId, intent.IntentId, count: 2);
        await Task.Delay(300);
        Assert.Equal(2, (await gateway.DecisionsAsync(clinic.TenantId, intent.IntentId)).Count);
        Assert.Equal(winner.Verdict == ReviewQueue.Service ? ReasonCodes.ReviewedAsService : ReasonCodes.ReviewedAsMarketing, rows[1].Reasons[0]);
    }
}

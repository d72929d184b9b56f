using System.Text;
using CommsGateway.Contracts;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Npgsql;

namespace CommsGateway.IntegrationTests.Features.Intents;

[Collection(GatewayCollection.Name)]
public sealed class IntentIngestionTests(GatewayFixture gateway)
{
    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>A configured clinic whose patients p-1 and p-2 have a mobile number and an email on record.</summary>
    private async Task<string> ClinicWithPatientsAsync()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        foreach (var patient in new[] { "p-1", "p-2" })
        {
            (await clinic.PutContactAsync(patient, new { phone = "+33612345678", email = "patient@example.org" })).EnsureSuccessStatusCode();
        }

        return clinic.TenantId;
    }

    private static MessageIntent Reminder(string tenant, string intentId) => new()
    {
        IntentId = intentId,
        TenantId = tenant,
        Producer = "booking",
        PatientId = "p-1",
        Channel = Channel.Sms,
        DeclaredPurpose = Purpose.Service,
        Category = "appointment_reminder",
        Body = "Reminder: your appointment with Dr Patel is tomorrow at 10:30.",
        To = "+33612345678",
    };

    [Fact]
    public async Task Should_decide_an_envelope_intent_exactly_once_and_publish_MessageDecided()
    {
        var tenant = await ClinicWithPatientsAsync();
        var intentId = NewId("envelope");

        await gateway.PublishAsync(Reminder(tenant, intentId));

        var rows = await gateway.WaitForDecisionsAsync(tenant, intentId);
        var events = await gateway.WaitForDecidedAsync(intentId);
        await Task.Delay(300); // a late second row or event would show up here
        Assert.Single(await gateway.DecisionsAsync(tenant, intentId));
        Assert.Equal("Sent", Assert.Single(rows).Outcome);
        var decided = Assert.Single(gateway.Decided, d => d.IntentId == intentId);
        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        Assert.Equal(rows[0].DecisionId, decided.DecisionId);
        Assert.Single(events);
    }

    [Fact]
    public async Task Should_decide_a_plain_json_intent_exactly_once()
    {
        var tenant = await ClinicWithPatientsAsync();
        var intentId = NewId("raw");
        var json = $$"""
            {"intentId":"{{intentId}}","tenantId":"{{tenant}}","producer":"php-booking","patientId":"p-2",
             "channel":"sms","declaredPurpose":"service","category":"appointment_reminder",
             "body":"Rappel : RDV demain 10h30 avec le Dr Martin."}
            """;

        await gateway.PublishRawAsync(json);

        await gateway.WaitForDecisionsAsync(tenant, intentId);
        await gateway.WaitForDecidedAsync(intentId);
        await Task.Delay(300); // a late second row, event or send would show up here
        var row = Assert.Single(await gateway.DecisionsAsync(tenant, intentId));
        Assert.True(row.Outcome == "Sent", $"{row.Outcome}: {string.Join(",", row.Reasons)}");
        var decided = Assert.Single(gateway.Decided, d => d.IntentId == intentId);
        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        Assert.Equal(row.DecisionId, decided.DecisionId);
        Assert.Equal("sms", await Scalar<string>("select channel from decisions where intent_id = @intentId", new { intentId }));
        Assert.Equal(1, await Scalar<long>("select count(*) from dispatches where intent_id = @intentId", new { intentId }));
        Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intentId);
    }

    [Fact]
    public async Task Should_decide_once_and_report_duplicate_when_the_same_intent_is_published_twice()
    {
        var tenant = await ClinicWithPatientsAsync();
        var intentId = NewId("dup");
        var intent = Reminder(tenant, intentId);

        await gateway.PublishAsync(intent);
        await gateway.WaitForDecisionsAsync(tenant, intentId);
        await gateway.PublishRawAsync(System.Text.Json.JsonSerializer.Serialize(intent, JsonOptions));

        var events = await gateway.WaitForDecidedAsync(intentId, count: 2);
        Assert.Equal([DecisionOutcome.Sent, DecisionOutcome.Duplicate], events.Select(e => e.Outcome).Order());
        Assert.Contains(ReasonCodes.DuplicateIntent, events.Single(e => e.Outcome == DecisionOutcome.Duplicate).Reasons);
        Assert.Single(await gateway.DecisionsAsync(tenant, intentId));
        Assert.Equal(1, await Scalar<long>("select count(*) from dispatches where intent_id = @intentId", new { intentId }));
    }

    [Fact]
    public async Task Should_tell_a_producer_that_reused_an_id_for_other_content_that_the_message_was_not_sent()
    {
        var tenant = await ClinicWithPatientsAsync();
        var intentId = NewId("reused");
        var reminder = Reminder(tenant, intentId);

        await gateway.PublishAsync(reminder);
        await gateway.WaitForDecisionsAsync(tenant, intentId);
        await gateway.PublishAsync(reminder); // a redelivery: the same content
        await gateway.WaitForDecidedAsync(intentId, count: 2);
        await gateway.PublishAsync(reminder with { Body = reminder.Body + " Merci d'arriver 10 minutes en avance." });

        var events = await gateway.WaitForDecidedAsync(intentId, count: 3);
        Assert.Equal([DecisionOutcome.Sent, DecisionOutcome.Duplicate, DecisionOutcome.Duplicate], events.Select(e => e.Outcome));
        Assert.Equal([ReasonCodes.DuplicateIntent], events[1].Reasons);
        Assert.Equal([ReasonCodes.DuplicateIntent, ReasonCodes.IntentIdReused], events[2].Reasons);
        Assert.Single(await gateway.DecisionsAsync(tenant, intentId));
        Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intentId);
    }

    [Fact]
    public async Task Should_block_an_explicit_address_that_differs_from_the_record()
    {
        var tenant = await ClinicWithPatientsAsync();
        var intentId = NewId("misdirected");

        await gateway.PublishAsync(Reminder(tenant, intentId) with { To = "+33698765432" });

        var row = Assert.Single(await gateway.WaitForDecisionsAsync(tenant, intentId));
        Assert.Equal("Blocked", row.Outcome);
        Assert.Equal([ReasonCodes.RecipientMismatch], row.Reasons);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == intentId);
    }

    [Fact]
    public async Task Should_reject_an_intent_for_a_clinic_the_gateway_does_not_serve()
    {
        var intentId = NewId("stranger");

        await gateway.PublishAsync(Reminder("no-such-clinic", intentId));

        var row = Assert.Single(await gateway.WaitForDecisionsAsync("no-such-clinic", intentId));
        Assert.Equal("Rejected", row.Outcome);
        Assert.Equal([ReasonCodes.UnknownTenant], row.Reasons);
    }

    [Fact]
    public async Task Should_reject_malformed_json_with_a_readable_reason()
    {
        var messageId = NewId("broken");
        await gateway.PublishRawAsync("""{"intentId": "x", "tenantId": "t", "body": "unterminated""", messageId);

        var rows = await gateway.WaitForDecisionsAsync("", "rejected:" + messageId);
        var row = Assert.Single(rows);
        Assert.Equal("Rejected", row.Outcome);
        Assert.Equal([ReasonCodes.MalformedMessage], row.Reasons);
        Assert.Contains(row.Details, d => d.StartsWith("unparseable message:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_reject_a_body_that_is_not_valid_utf8_naming_the_byte()
    {
        var tenant = await ClinicWithPatientsAsync();
        var messageId = NewId("latin1");
        // A producer that wrote Latin-1: "é" as the single byte E9, inside an otherwise well-formed intent.
        var json = Encoding.UTF8.GetBytes($$"""{"intentId":"{{messageId}}","tenantId":"{{tenant}}","patientId":"p","channel":"sms","body":"Rappel: caf""");
        byte[] body = [.. json, 0xE9, .. "\"}"u8];

        await gateway.PublishRawAsync(body, messageId);

        var row = Assert.Single(await gateway.WaitForDecisionsAsync("", "rejected:" + messageId));
        Assert.Equal("Rejected", row.Outcome);
        Assert.Equal([ReasonCodes.MalformedMessage], row.Reasons);
        Assert.Contains($"unparseable message: the body is not valid UTF-8 (byte {json.Length})", row.Details);
    }

    [Fact]
    public async Task Should_reject_an_unknown_channel_naming_the_field()
    {
        var tenant = await ClinicWithPatientsAsync();
        var intentId = NewId("fax");
        await gateway.PublishRawAsync($$"""{"intentId":"{{intentId}}","tenantId":"{{tenant}}","patientId":"p","channel":"fax","body":"hi"}""");

        var row = Assert.Single(await gateway.WaitForDecisionsAsync(tenant, intentId));
        Assert.Equal("Rejected", row.Outcome);
        Assert.Contains(ReasonCodes.UnknownChannel, row.Reasons);
        Assert.Contains(row.Details, d => d.StartsWith("channel:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_reject_a_2MB_body_as_too_large()
    {
        var tenant = await ClinicWithPatientsAsync();
        var intentId = NewId("huge");
        var intent = Reminder(tenant, intentId) with { Channel = Channel.Email, Subject = "Huge", Body = new string('a', 2 * 1024 * 1024) };

        await gateway.PublishAsync(intent);

        var row = Assert.Single(await gateway.WaitForDecisionsAsync(tenant, intentId));
        Assert.Equal("Rejected", row.Outcome);
        Assert.Contains(ReasonCodes.BodyTooLarge, row.Reasons);
        Assert.Equal(0, await Scalar<long>("select count(*) from dispatches where intent_id = @intentId", new { intentId }));
    }

    [Fact]
    public async Task Should_refuse_update_and_delete_on_the_decision_log()
    {
        var tenant = await ClinicWithPatientsAsync();
        var intentId = NewId("immutable");
        await gateway.PublishAsync(Reminder(tenant, intentId));
        await gateway.WaitForDecisionsAsync(tenant, intentId);

        await using var connection = await gateway.Db.OpenConnectionAsync();
        var update = await Assert.ThrowsAsync<PostgresException>(() =>
            connection.ExecuteAsync("update decisions set outcome = 'Blocked' where intent_id = @intentId", new { intentId }));
        var delete = await Assert.ThrowsAsync<PostgresException>(() =>
            connection.ExecuteAsync("delete from decisions where intent_id = @intentId", new { intentId }));
        Assert.Contains("append-only", update.MessageText, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.MessageText, StringComparison.Ordinal);
        Assert.Equal("Sent", Assert.Single(await gateway.DecisionsAsync(tenant, intentId)).Outcome);
    }

    private static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new(System.Text.Json.JsonSerializerDefaults.Web);

    private async Task<T> Scalar<T>(string sql, object args)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException("no value");
    }
}

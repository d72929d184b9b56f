using CommsGateway.Contracts;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsGateway.IntegrationTests.Features.Intents;

/// <summary>
/// What producers without MassTransit actually publish: no content type, no intentId, values of the wrong type.
/// Each published message gets its own decision, with the reason a producer can act on.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class IntakeTests(GatewayFixture gateway)
{
    // Well below the consumer's retries: a message that should skip them must be decided in less.
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    private static string Tenant() => $"intake-{Guid.NewGuid():N}"[..20];

    private async Task<List<DecisionRow>> RowsAsync(string tenant, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            await using var connection = await gateway.Db.OpenConnectionAsync();
            var rows = (await connection.QueryAsync<DecisionRow>(
                "select intent_id, outcome, reasons, details from decisions where tenant_id = @tenant order by seq", new { tenant })).ToList();
            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(100);
        }
    }

    private static string SameText(string tenant, string patient) => $$"""
        {"tenantId":"{{tenant}}","producer":"booking","patientId":"{{patient}}","channel":"sms","declaredPurpose":"service",
         "category":"appointment_reminder","body":"Rappel : RDV demain 10h30."}
        """;

    [Fact]
    public async Task Should_reject_four_intents_without_intentId_and_the_same_text_as_four_decisions()
    {
        var tenant = Tenant();
        foreach (var patient in new[] { "p-1", "p-2", "p-3", "p-4" })
        {
            await gateway.PublishRawAsync(SameText(tenant, patient));
        }

        var rows = await RowsAsync(tenant, 4);
        await Task.Delay(500); // a fifth row, or a Duplicate, would show up here
        rows = await RowsAsync(tenant, 4);
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Equal(("Rejected", ReasonCodes.MissingField), (r.Outcome, r.Reasons[0])));
        Assert.Equal(4, rows.Select(r => r.IntentId).Distinct().Count());
        Assert.DoesNotContain(gateway.Decided, d => d.TenantId == tenant && d.Outcome == DecisionOutcome.Duplicate);
    }

    [Fact]
    public async Task Should_key_an_intent_without_intentId_on_its_AMQP_message_id_even_when_it_is_not_a_GUID()
    {
        var tenant = Tenant();
        var body = SameText(tenant, "p-1");
        var ids = Enumerable.Range(1, 4).Select(i => $"booking-{Guid.NewGuid():N}-{i}").ToList();
        foreach (var id in ids)
        {
            await gateway.PublishRawAsync(body, id);
        }

        await gateway.PublishRawAsync(body, ids[0]); // the same message again: its decision, not a new one
        var rows = await RowsAsync(tenant, 4);
        await gateway.WaitForDecidedAsync("rejected:" + ids[0], 2);
        Assert.Equal(ids.Select(id => "rejected:" + id).Order(), rows.Select(r => r.IntentId).Order());
        Assert.Contains(gateway.Decided, d => d.IntentId == "rejected:" + ids[0] && d.Outcome == DecisionOutcome.Duplicate);
    }

    [Fact]
    public async Task Should_read_plain_json_published_without_a_content_type()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        (await clinic.PutContactAsync("p-1", new { phone = "+33612345678", email = "patient@example.org" })).EnsureSuccessStatusCode();
        var intentId = $"no-content-type-{Guid.NewGuid():N}";
        await gateway.PublishRawAsync($$"""
            {"intentId":"{{intentId}}","tenantId":"{{clinic.TenantId}}","producer":"pika","patientId":"p-1","channel":"sms",
             "declaredPurpose":"service","category":"appointment_reminder","body":"Rappel : RDV demain 10h30 avec le Dr Martin."}
            """, contentType: null);

        var row = Assert.Single(await gateway.WaitForDecisionsAsync(clinic.TenantId, intentId, timeout: Soon));
        Assert.True(row.Outcome == "Sent", $"{row.Outcome}: {string.Join(",", row.Reasons)} {string.Join(" | ", row.Details)}");
        await gateway.WaitForDecidedAsync(intentId);
        Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intentId);
    }

    [Theory]
    [InlineData("\"body\": 12345", "body")]
    [InlineData("\"body\": \"hi\", \"expiresAt\": \"tomorrow\"", "expiresAt")]
    [InlineData("\"body\": \"hi\", \"blocks\": [{\"kind\": \"marketing\", \"text\": 7}]", "blocks[0].text")]
    public async Task Should_reject_a_value_of_the_wrong_type_naming_the_field(string fields, string field)
    {
        var tenant = Tenant();
        var intentId = $"typed-{Guid.NewGuid():N}";
        await gateway.PublishRawAsync($$"""
            {"intentId":"{{intentId}}","tenantId":"{{tenant}}","patientId":"p-1","channel":"sms","declaredPurpose":"service",{{fields}}}
            """, contentType: null);

        var row = Assert.Single(await gateway.WaitForDecisionsAsync(tenant, intentId, timeout: Soon));
        Assert.Equal("Rejected", row.Outcome);
        Assert.Equal([ReasonCodes.InvalidField], row.Reasons);
        Assert.StartsWith(field + ": ", row.Details[0], StringComparison.Ordinal);
        var decided = Assert.Single(await gateway.WaitForDecidedAsync(intentId));
        Assert.Equal(DecisionOutcome.Rejected, decided.Outcome);
    }

    [Fact]
    public async Task Should_decide_a_readable_intent_found_in_the_error_queue_Failed_naming_its_fault_without_sending_it()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        (await clinic.PutContactAsync("p-1", new { phone = "+33612345678", email = "patient@example.org" })).EnsureSuccessStatusCode();
        var intentId = $"faulted-{Guid.NewGuid():N}";
        // As MassTransit leaves a message whose consumer faulted through every retry (the database was down): the fault in headers.
        await gateway.PublishRawAsync($$"""
            {"intentId":"{{intentId}}","tenantId":"{{clinic.TenantId}}","patientId":"p-1","channel":"sms","declaredPurpose":"service",
             "category":"appointment_reminder","body":"Rappel : RDV demain 10h30 avec le Dr Martin."}
            """, queue: "commsgw-intents_error", headers: new() { ["MT-Fault-ExceptionType"] = "Npgsql.NpgsqlException", ["MT-Fault-Message"] = "connection refused" });

        var row = Assert.Single(await gateway.WaitForDecisionsAsync(clinic.TenantId, intentId, timeout: Soon));
        Assert.Equal(("Failed", ReasonCodes.ProcessingFailed), (row.Outcome, row.Reasons[0]));
        Assert.Equal("processing fault: connection refused", row.Details[0]);
        Assert.Equal(DecisionOutcome.Failed, Assert.Single(await gateway.WaitForDecidedAsync(intentId)).Outcome);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == intentId);
    }

    [Fact]
    public async Task Should_decide_an_intent_the_broker_dead_lettered_Failed_naming_the_delivery_limit()
    {
        var tenant = Tenant();
        var intentId = $"dead-lettered-{Guid.NewGuid():N}";
        // As the broker moves a message redelivered past the queue's delivery limit: no MassTransit fault headers.
        await gateway.PublishRawAsync($$"""
            {"intentId":"{{intentId}}","tenantId":"{{tenant}}","patientId":"p-1","channel":"sms","declaredPurpose":"service","body":"Rappel."}
            """, queue: "commsgw-intents_error", headers: new() { ["x-first-death-reason"] = "delivery_limit" });

        var row = Assert.Single(await gateway.WaitForDecisionsAsync(tenant, intentId, timeout: Soon));
        Assert.Equal(("Failed", ReasonCodes.ProcessingFailed), (row.Outcome, row.Reasons[0]));
        Assert.Equal("processing fault: dead-lettered by the broker: delivery_limit", row.Details[0]);
    }

    [Fact]
    public void Should_not_report_usage_telemetry_to_MassTransit()
    {
        // The gateway, `commsgw run`, `commsgw demo` and `commsgw bench` all build their bus through GatewayHost.
        Assert.False(gateway.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled);
    }
}

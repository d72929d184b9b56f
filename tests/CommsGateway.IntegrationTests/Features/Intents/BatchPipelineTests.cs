using CommsGateway.Contracts;
using CommsGateway.Features.Intents;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Intents;

/// <summary>
/// Intents decided a batch at a time: every intent of a batch ends in exactly one decision whatever its neighbours are,
/// a failed append retries the batch without a second decision or a second send, and re-evaluations follow their
/// earlier row.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BatchPipelineTests(GatewayFixture gateway)
{
    private IntentPipeline Pipeline => gateway.Services.GetRequiredService<IntentPipeline>();

    private async Task<string> ClinicAsync(int patients)
    {
        var clinic = await Clinic.CreateAsync(gateway);
        for (var p = 1; p <= patients; p++)
        {
            (await clinic.PutContactAsync($"p-{p}", new { phone = "+33612345678", email = $"p{p}@example.org" })).EnsureSuccessStatusCode();
        }

        return clinic.TenantId;
    }

    private static MessageIntent Reminder(string tenant, string intentId, int patient = 1, Channel channel = Channel.Sms) => new()
    {
        IntentId = intentId,
        TenantId = tenant,
        Producer = "booking",
        PatientId = $"p-{patient}",
        Channel = channel,
        DeclaredPurpose = Purpose.Service,
        Category = "appointment_reminder",
        Subject = channel == Channel.Email ? "Your appointment" : null,
        Body = "Reminder: your appointment with Dr Patel is tomorrow at 10:30.",
    };

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task Should_give_each_intent_of_a_batch_mixing_valid_invalid_and_duplicate_intents_exactly_one_decision()
    {
        var tenant = await ClinicAsync(2);
        var (a, b, before, invalid) = (NewId("a"), NewId("b"), NewId("before"), NewId("invalid"));
        var keyOnly = "rejected:" + NewId("msg");
        Assert.Equal([DecisionOutcome.Sent], (await Pipeline.DecideAsync([new(Reminder(tenant, before), "rejected:x")], default)).Select(d => d.Outcome));

        var events = await Pipeline.DecideAsync(
        [
            new(Reminder(tenant, a), "rejected:1"),
            new(Reminder(tenant, invalid) with { Body = "" }, "rejected:2"),
            new(Reminder(tenant, a), "rejected:3"), // the same intent twice in one batch
            new(Reminder(tenant, before), "rejected:4"), // decided by an earlier batch
            new(Reminder(tenant, b, patient: 2, Channel.Email), "rejected:5"),
            new(Reminder(tenant, "") with { Body = "" }, keyOnly), // no usable intentId: decided under its delivery key
        ], default);

        Assert.Equal(
            [DecisionOutcome.Sent, DecisionOutcome.Rejected, DecisionOutcome.Duplicate, DecisionOutcome.Duplicate, DecisionOutcome.Sent, DecisionOutcome.Rejected],
            events.Select(e => e.Outcome));
        Assert.Equal(events[0].DecisionId, events[2].DecisionId);
        Assert.Equal([ReasonCodes.MissingField], events[1].Reasons);
        Assert.Equal(keyOnly, events[5].IntentId);
        foreach (var intentId in new[] { a, b, before, invalid, keyOnly })
        {
            Assert.Single(await gateway.DecisionsAsync(tenant, intentId));
        }

        foreach (var sent in new[] { a, b, before })
        {
            Assert.Equal(1, await ScalarAsync("select count(*) from dispatches where intent_id = @sent and status = 'sent'", new { sent }));
            Assert.Equal(1, gateway.Fake.AcceptedPerIntent.GetValueOrDefault(sent));
        }

        Assert.Equal(0, await ScalarAsync("select count(*) from dispatches where intent_id = any(@ids)", new { ids = new[] { invalid, keyOnly } }));
    }

    [Fact]
    public async Task Should_decide_a_published_batch_once_when_its_append_fails_and_is_retried()
    {
        var tenant = await ClinicAsync(2);
        var ids = Enumerable.Range(0, 6).Select(i => NewId($"retry{i}")).ToArray();
        var poison = ids[2];
        var name = "test_fail_once_" + Guid.NewGuid().ToString("N")[..8];
        await ExecuteAsync($"""
            create sequence {name};
            create function {name}() returns trigger language plpgsql as $f$
            begin
                -- A sequence is not rolled back with the failed transaction: the first append of the poison intent fails, later ones pass.
                if new.intent_id = '{poison}' and nextval('{name}') = 1 then
                    raise exception 'injected append failure';
                end if;
                return new;
            end $f$;
            create trigger {name} before insert on decisions for each row execute function {name}();
            """);
        try
        {
            await Task.WhenAll(ids.Select((id, i) => gateway.PublishAsync(Reminder(tenant, id, 1 + i % 2, i % 2 == 0 ? Channel.Sms : Channel.Email))));

            foreach (var id in ids)
            {
                Assert.Equal([DecisionOutcome.Sent], (await gateway.WaitForDecidedAsync(id)).Select(e => e.Outcome));
            }

            await Task.Delay(500); // a late second row, event or send would show up here
            Assert.True(await ScalarAsync($"select last_value from {name}", new { }) >= 2, "the append of the poison intent was attempted again");
            foreach (var id in ids)
            {
                var row = Assert.Single(await gateway.DecisionsAsync(tenant, id));
                Assert.Equal("Sent", row.Outcome);
                Assert.Equal(1, await ScalarAsync("select count(*) from dispatches where intent_id = @id and status = 'sent'", new { id }));
                Assert.Equal(1, gateway.Fake.AcceptedPerIntent.GetValueOrDefault(id));
                Assert.Single(gateway.Decided, d => d.IntentId == id);
            }
        }
        finally
        {
            await ExecuteAsync($"drop trigger {name} on decisions; drop function {name}(); drop sequence {name};");
        }
    }

    [Fact]
    public async Task Should_send_once_each_redelivered_decision_to_send_of_a_batch_whose_dispatch_was_never_claimed()
    {
        var tenant = await ClinicAsync(4);
        var unclaimed = Enumerable.Range(1, 3).Select(p => (Id: NewId($"unclaimed-{p}"), Patient: p)).ToList();
        var log = gateway.Services.GetRequiredService<DecisionLog>();
        foreach (var (id, patient) in unclaimed)
        {
            // Decided to send, then the process died before any claim: a decision with no dispatch row.
            var appended = await log.AppendAsync(new DecisionRecord(Guid.CreateVersion7(), tenant, id, $"p-{patient}", "booking", Channel.Sms,
                "appointment_reminder", null, Purpose.Service, Purpose.Service, DecisionOutcome.Sent, [ReasonCodes.ServiceMessage], [], null, null,
                CommsGateway.Core.Policy.SendPolicy.Version, null, DateTimeOffset.UtcNow), default);
            Assert.True(appended.Inserted);
        }

        var fresh = NewId("fresh");
        var batch = unclaimed.Select(u => new IncomingIntent(Reminder(tenant, u.Id, u.Patient), "rejected:" + u.Id))
            .Append(new IncomingIntent(Reminder(tenant, fresh, patient: 4), "rejected:fresh"))
            .Append(new IncomingIntent(Reminder(tenant, unclaimed[0].Id, 1), "rejected:twice")).ToList(); // one redelivered twice
        var events = await Pipeline.DecideAsync(batch, default);

        // The redeliveries finish the job of their earlier decisions (not Duplicate), once each, beside the fresh intent;
        // the second copy of the same one is a Duplicate.
        Assert.All(events.SkipLast(1), e => Assert.Equal(DecisionOutcome.Sent, e.Outcome));
        Assert.Equal(DecisionOutcome.Duplicate, events[^1].Outcome);
        foreach (var id in unclaimed.Select(u => u.Id).Append(fresh))
        {
            Assert.Equal(1, gateway.Fake.AcceptedPerIntent.GetValueOrDefault(id));
            Assert.Single(await gateway.DecisionsAsync(tenant, id));
            Assert.Equal(1, await ScalarAsync("select count(*) from dispatches where intent_id = @id and status = 'sent'", new { id }));
        }

        // Redelivered again: now claimed and settled, they are duplicates and nothing is sent twice.
        var again = await Pipeline.DecideAsync(batch, default);
        Assert.All(again, e => Assert.Equal(DecisionOutcome.Duplicate, e.Outcome));
        Assert.All(unclaimed, u => Assert.Equal(1, gateway.Fake.AcceptedPerIntent.GetValueOrDefault(u.Id)));
    }

    [Fact]
    public async Task Should_record_a_deferred_intent_once_it_falls_due_and_never_again()
    {
        var tenant = await ClinicAsync(1);
        var intentId = NewId("later");
        var intent = Reminder(tenant, intentId) with { NotBefore = DateTimeOffset.UtcNow.AddSeconds(2) };

        var first = Assert.Single(await Pipeline.DecideAsync([new(intent, "rejected:later")], default));
        Assert.Equal(DecisionOutcome.Deferred, first.Outcome);
        var (early, until) = await Pipeline.ReevaluateDeferredAsync(intent, default);
        Assert.Null(early); // not due yet: nothing recorded, a new due time
        Assert.NotNull(until);
        Assert.Single(await gateway.DecisionsAsync(tenant, intentId));

        // Due: the poller or this call records the final decision; whichever comes second finds it.
        var rows = await Poll.UntilAsync(async () =>
        {
            await Pipeline.ReevaluateDeferredAsync(intent, default);
            return await gateway.DecisionsAsync(tenant, intentId);
        }, r => r.Count >= 2);
        Assert.Equal(["Deferred", "Sent"], rows.Select(r => r.Outcome));
        var (again, _) = await Pipeline.ReevaluateDeferredAsync(intent, default);
        Assert.Equal(DecisionOutcome.Duplicate, again?.Outcome);
        Assert.Equal(2, (await gateway.DecisionsAsync(tenant, intentId)).Count);
        Assert.Equal(1, await ScalarAsync("select count(*) from dispatches where intent_id = @intentId", new { intentId }));
        Assert.Equal(1, gateway.Fake.AcceptedPerIntent.GetValueOrDefault(intentId));
    }

    private async Task<long> ScalarAsync(string sql, object args)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql, args);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await connection.ExecuteAsync(sql);
    }
}

using CommsGateway.Contracts;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Intents;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CommsGateway.IntegrationTests.Features.Audit;

[Collection(OpsCollection.Name)]
public sealed class RetentionAndBreachTests(OpsFixture ops)
{
    private static string NewTenant(string prefix) => $"t-{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Appends through the gateway's own write path (so a chained log stays chained), with a chosen decision time.</summary>
    private async Task<Guid> AppendAsync(string tenant, string intentId, DateTimeOffset decidedAt, string patient = "p-1",
        Channel channel = Channel.Sms, DecisionOutcome outcome = DecisionOutcome.Blocked, string? provider = null)
    {
        var id = Guid.CreateVersion7(decidedAt);
        var log = ops.Services.GetRequiredService<DecisionLog>();
        Assert.True(await log.TryAppendAsync(new DecisionRecord(id, tenant, intentId, patient, "booking", channel, "appointment_reminder", null,
            Purpose.Service, Purpose.Service, outcome, [ReasonCodes.NoContactPoint], ["test row"], new byte[32], null, "test", null, decidedAt), default));
        if (provider is not null)
        {
            await using var connection = await ops.Db.OpenConnectionAsync();
            await connection.ExecuteAsync("""
                insert into dispatches (decision_id, tenant_id, intent_id, channel, status, provider, provider_message_id, attempts)
                values (@id, @tenant, @intentId, @channel, 'sent', @provider, @messageId, 1)
                """, new { id, tenant, intentId, channel = WireNames.Of(channel), provider, messageId = "pm-" + intentId });
        }

        return id;
    }

    private async Task<List<string>> IntentsAsync(string tenant)
    {
        await using var connection = await ops.Db.OpenConnectionAsync();
        return (await connection.QueryAsync<string>("select intent_id from decisions where tenant_id = @tenant order by seq", new { tenant })).ToList();
    }

    [Fact]
    public async Task Should_remove_exactly_the_rows_the_policy_says_and_report_them()
    {
        var t = NewTenant("ret");
        var other = NewTenant("ret-other");
        var now = DateTimeOffset.UtcNow;
        var retention = ops.Services.GetRequiredService<RetentionService>();
        await retention.SetAsync(t, decisionsMonths: 12, consentAfterEndMonths: 60, keepCopy: true, "dpo@clinic", default);

        await AppendAsync(t, "old-30m", now.AddMonths(-30), provider: "twilio");
        await AppendAsync(t, "old-13m", now.AddMonths(-13), patient: "p-2");
        await AppendAsync(t, "kept-11m", now.AddMonths(-11));
        await AppendAsync(t, "kept-now", now);
        await AppendAsync(t, "late-old-20m", now.AddMonths(-20)); // old, but after a kept row in the chain: waits
        await AppendAsync(other, "other-30m", now.AddMonths(-30)); // default 36 months: kept
        await AppendAsync(other, "other-40m", now.AddMonths(-40)); // after a kept row: waits

        var dry = await retention.RunAsync(t, dryRun: true, "dpo@clinic", default);
        var dryDecisions = Assert.Single(dry, r => r.TableName == "decisions");
        Assert.Equal(2, dryDecisions.Removed);
        Assert.True(dryDecisions.DryRun);
        Assert.Equal(5, (await IntentsAsync(t)).Count);

        var reports = await retention.RunAsync(t, dryRun: false, "dpo@clinic", default);
        var decisions = Assert.Single(reports, r => r.TableName == "decisions");
        Assert.Equal(t, decisions.TenantId);
        Assert.Equal(2, decisions.Removed);
        Assert.Equal(2, decisions.Pseudonymised);
        Assert.Contains("\"dispatches\": 1", decisions.RemovedRelated, StringComparison.Ordinal);
        Assert.Equal(0, Assert.Single(reports, r => r.TableName == "consent_events").Removed);
        Assert.Equal(["kept-11m", "kept-now", "late-old-20m"], await IntentsAsync(t));
        Assert.Equal(["other-30m", "other-40m"], await IntentsAsync(other));

        await using var connection = await ops.Db.OpenConnectionAsync();
        var copies = (await connection.QueryAsync<(string? PatientRef, string Outcome)>(
            "select patient_ref, outcome from decisions_pseudonymised where run_id = @RunId", new { decisions.RunId })).ToList();
        Assert.Equal(2, copies.Count);
        Assert.All(copies, c => Assert.DoesNotContain("p-", c.PatientRef, StringComparison.Ordinal));
        Assert.NotEqual(copies[0].PatientRef, copies[1].PatientRef);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from dispatches where tenant_id = @t", new { t }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from admin_audit where tenant_id = @t and action = 'retention.run'", new { t }));

        // Nothing is left for a second run: exactly the policy, once.
        Assert.Equal(0, Assert.Single(await retention.RunAsync(t, false, "dpo@clinic", default), r => r.TableName == "decisions").Removed);

        // The chain that remains verifies from the run's anchor, and new rows keep chaining onto it.
        var afterRetention = await CommsGateway.Features.Audit.DecisionChainVerifier.VerifyAsync(ops.Db, t, default);
        Assert.True(afterRetention.Intact, afterRetention.FirstBroken?.Problem);
        await AppendAsync(t, "after-retention", now);
        var afterAppend = await CommsGateway.Features.Audit.DecisionChainVerifier.VerifyAsync(ops.Db, t, default);
        Assert.True(afterAppend.Intact, afterAppend.FirstBroken?.Problem);
        Assert.Equal(4, afterAppend.RowsChecked);
    }

    [Fact]
    public async Task Should_still_refuse_deletes_and_updates_outside_a_recorded_retention_run()
    {
        var t = NewTenant("guard");
        await AppendAsync(t, "guarded", DateTimeOffset.UtcNow.AddYears(-10));
        await using var connection = await ops.Db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("select set_config('commsgw.retention_purge', 'on', true)", transaction: tx);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("delete from decisions where tenant_id = @t", new { t }, tx));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, ex.SqlState);
        await tx.RollbackAsync();

        var update = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("update decisions set outcome = 'Sent' where tenant_id = @t", new { t }));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, update.SqlState);
        Assert.Equal(["guarded"], await IntentsAsync(t));
    }

    [Fact]
    public async Task Should_scope_a_breach_to_the_window_filters_and_reveal_only_with_an_audited_reason()
    {
        var b = NewTenant("breach");
        var c = NewTenant("breach-other");
        var now = DateTimeOffset.UtcNow;
        await AppendAsync(b, "in-sms", now.AddMinutes(-5), patient: "p-1", channel: Channel.Sms, outcome: DecisionOutcome.Sent, provider: "twilio");
        await AppendAsync(b, "in-email", now.AddMinutes(-4), patient: "p-2", channel: Channel.Email, outcome: DecisionOutcome.Sent, provider: "sendgrid");
        await AppendAsync(b, "in-blocked", now.AddMinutes(-3), patient: "p-1", channel: Channel.Sms);
        await AppendAsync(b, "out-old", now.AddDays(-3), patient: "p-3");
        await AppendAsync(b, "old-but-sent-now", now.AddDays(-3), patient: "p-4", outcome: DecisionOutcome.Sent, provider: "twilio");
        await AppendAsync(c, "other-tenant", now.AddMinutes(-2), patient: "p-1", provider: "twilio");

        var scope = ops.Services.GetRequiredService<BreachScope>();
        var window = new BreachFilter(now.AddHours(-1), now.AddHours(1), b);
        var report = await scope.ScopeAsync(window, null, default);
        Assert.Equal(["in-blocked", "in-email", "in-sms", "old-but-sent-now"], report.Messages.Select(m => m.IntentId).Order(StringComparer.Ordinal));
        Assert.Equal(["p-1", "p-2", "p-4"], report.Patients.Select(p => p.PatientId).Order(StringComparer.Ordinal));
        Assert.Equal(2, report.Patients.Single(p => p.PatientId == "p-1").Messages);
        Assert.All(report.Patients, p => Assert.Null(p.Email));

        var twilio = await scope.ScopeAsync(window with { Provider = "twilio" }, null, default);
        Assert.Equal(["in-sms", "old-but-sent-now"], twilio.Messages.Select(m => m.IntentId).Order(StringComparer.Ordinal));
        var email = await scope.ScopeAsync(window with { Channel = Channel.Email }, null, default);
        Assert.Equal("in-email", Assert.Single(email.Messages).IntentId);
        var allTenants = await scope.ScopeAsync(window with { TenantId = null, Provider = "twilio" }, null, default);
        Assert.Contains(allTenants.Messages, m => m.TenantId == c);

        await using var connection = await ops.Db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            create table if not exists contacts (tenant_id text not null, patient_id text not null, email text, phone_e164 text,
                whatsapp_e164 text, primary key (tenant_id, patient_id))
            """);
        await connection.ExecuteAsync("insert into contacts (tenant_id, patient_id, email, phone_e164, updated_by) values (@b, 'p-2', 'p2@example.org', '+33600000002', 'test')", new { b });

        await Assert.ThrowsAsync<ArgumentException>(() => scope.ScopeAsync(window, new RevealRequest("dpo@clinic", " "), default));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from admin_audit where tenant_id = @b and action = 'breach.reveal'", new { b }));

        var revealed = await scope.ScopeAsync(window, new RevealRequest("dpo@clinic", "incident 2025-07 provider key leak"), default);
        Assert.True(revealed.Revealed);
        Assert.Equal("p2@example.org", revealed.Patients.Single(p => p.PatientId == "p-2").Email);
        var audit = await connection.QuerySingleAsync<(string Actor, string Detail)>(
            "select actor, detail::text from admin_audit where tenant_id = @b and action = 'breach.reveal'", new { b });
        Assert.Equal("dpo@clinic", audit.Actor);
        Assert.Contains("provider key leak", audit.Detail, StringComparison.Ordinal);
    }
}

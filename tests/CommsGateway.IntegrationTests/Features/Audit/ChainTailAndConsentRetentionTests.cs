using System.Net.Http.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Intents;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Audit;

/// <summary>
/// Both chains end at their tenant's head, so removing the newest rows is caught; consent evidence is kept while the
/// consent is relied on plus the limitation period, removed after, and the chain verifies across the tombstones.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ChainTailAndConsentRetentionTests(GatewayFixture gateway)
{
    /// <summary>One call after the other: the chain order is the order of the calls.</summary>
    private static async Task<long[]> RecordAsync(params Func<Task<HttpResponseMessage>>[] calls)
    {
        var ids = new List<long>();
        foreach (var call in calls)
        {
            using var response = await call();
            response.EnsureSuccessStatusCode();
            ids.AddRange((await response.Content.ReadFromJsonAsync<Recorded>())!.EventIds);
        }

        return [.. ids];
    }

    private static async Task<string> PatientAsync(Clinic clinic)
    {
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { email = $"{patient}@example.org", phone = "+33612345678" })).EnsureSuccessStatusCode();
        return patient;
    }

    private async Task SuperuserAsync(string sql, object parameters)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await connection.ExecuteAsync("set session_replication_role = replica"); // bypasses the append-only triggers
        await connection.ExecuteAsync(sql, parameters);
        await connection.ExecuteAsync("set session_replication_role = origin");
    }

    [Fact]
    public async Task Should_detect_the_newest_consent_event_removed_behind_the_trigger()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = await PatientAsync(clinic);
        var ids = await RecordAsync(() => clinic.GrantAsync(patient, "email"), () => clinic.WithdrawAsync(patient, "email"), () => clinic.GrantAsync(patient, "sms"));
        Assert.True((await ConsentChainVerifier.VerifyAsync(gateway.Db, clinic.TenantId, default)).Intact);

        await SuperuserAsync("delete from consent_events where event_id = @id", new { id = ids[^1] });

        var report = await ConsentChainVerifier.VerifyAsync(gateway.Db, clinic.TenantId, default);
        Assert.False(report.Intact);
        Assert.Equal(3, report.FirstBroken!.ChainSeq);
        Assert.Contains("newest events were removed", report.FirstBroken.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_detect_the_newest_decisions_removed_behind_the_trigger()
    {
        var tenant = $"t-tail-{Guid.NewGuid():N}"[..20];
        var log = gateway.Services.GetRequiredService<DecisionLog>();
        foreach (var i in Enumerable.Range(0, 4))
        {
            Assert.True(await log.TryAppendAsync(new DecisionRecord(Guid.CreateVersion7(), tenant, $"tail-{i}", "p-1", "booking", Channel.Sms,
                "appointment_reminder", null, Purpose.Service, Purpose.Service, DecisionOutcome.Blocked, [ReasonCodes.NoContactPoint], [],
                new byte[32], null, "test", null, DateTimeOffset.UtcNow), default));
        }

        Assert.True((await DecisionChainVerifier.VerifyAsync(gateway.Db, tenant, default)).Intact);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var seqs = (await connection.QueryAsync<long>("select seq from decisions where tenant_id = @tenant order by seq", new { tenant })).ToList();

        await SuperuserAsync("delete from decisions where tenant_id = @tenant and seq >= @seq", new { tenant, seq = seqs[2] });

        var report = await DecisionChainVerifier.VerifyAsync(gateway.Db, tenant, default);
        Assert.False(report.Intact);
        Assert.Equal(seqs[3], report.FirstBroken!.Seq);
        Assert.Contains($"ends at seq {seqs[1]}", report.FirstBroken.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_keep_consent_evidence_while_relied_on_plus_the_limitation_period_and_verify_across_the_tombstones()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var now = DateTimeOffset.UtcNow;
        var (withdrawnLongAgo, withdrawnRecently, grantedRecently, lapsedLongAgo) = 
            (await PatientAsync(clinic), await PatientAsync(clinic), await PatientAsync(clinic), await PatientAsync(clinic));
        // Defaults: evidence kept 60 months after withdrawal; a grant lapses after 36 months, then 60 more months.
        var removed = await RecordAsync(
            () => clinic.GrantAsync(withdrawnLongAgo, "email", occurredAt: now.AddMonths(-80)),
            () => clinic.WithdrawAsync(withdrawnLongAgo, "email", occurredAt: now.AddMonths(-62)));
        var kept = await RecordAsync(
            () => clinic.GrantAsync(withdrawnRecently, "email", occurredAt: now.AddMonths(-70)),
            () => clinic.WithdrawAsync(withdrawnRecently, "email", occurredAt: now.AddMonths(-58)),
            () => clinic.GrantAsync(grantedRecently, "sms", occurredAt: now.AddMonths(-90)), // relied on: lapses only at 36 + 60 months
            () => clinic.GrantAsync(grantedRecently, "email", occurredAt: now.AddMonths(-12)));
        // The newest event of the chain goes too: its tombstone must keep the chain's end at its head.
        removed = [.. removed, .. await RecordAsync(() => clinic.GrantAsync(lapsedLongAgo, "sms", occurredAt: now.AddMonths(-97)))];
        var retention = gateway.Services.GetRequiredService<RetentionService>();

        var dry = Assert.Single(await retention.RunAsync(clinic.TenantId, dryRun: true, "dpo@clinic", default), r => r.TableName == "consent_events");
        Assert.Equal(3, dry.Removed);
        var report = Assert.Single(await retention.RunAsync(clinic.TenantId, dryRun: false, "dpo@clinic", default), r => r.TableName == "consent_events");

        Assert.Equal(3, report.Removed);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var left = (await connection.QueryAsync<long>("select event_id from consent_events where tenant_id = @TenantId order by event_id", new { clinic.TenantId })).ToList();
        Assert.Equal(kept.Order(), left);
        Assert.DoesNotContain(left, removed.Contains);
        var chain = await ConsentChainVerifier.VerifyAsync(gateway.Db, clinic.TenantId, default);
        Assert.True(chain.Intact, chain.FirstBroken?.Problem);
        Assert.Equal(4, chain.EventsChecked);
        Assert.Equal(3, chain.Tombstones);
    }
}

using System.Net.Http.Json;
using CommsGateway.Features.Audit;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;

namespace CommsGateway.IntegrationTests.Features.Audit;

/// <summary>The consent ledger's hash chain: every writer is chained by the database, tampering is named.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ConsentChainTests(GatewayFixture gateway)
{
    private async Task<(Clinic Clinic, string Patient, long[] EventIds)> LedgerWithThreeEventsAsync()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { email = $"{patient}@example.org", phone = "+33612345678" })).EnsureSuccessStatusCode();
        var ids = new List<long>();
        foreach (var response in new[] { await clinic.GrantAsync(patient, "email"), await clinic.WithdrawAsync(patient, "email"), await clinic.GrantAsync(patient, "sms") })
        {
            response.EnsureSuccessStatusCode();
            ids.AddRange((await response.Content.ReadFromJsonAsync<Recorded>())!.EventIds);
        }

        return (clinic, patient, ids.ToArray());
    }

    [Fact]
    public async Task Should_verify_an_untouched_ledger_and_survive_erasure()
    {
        var (clinic, patient, ids) = await LedgerWithThreeEventsAsync();
        var before = await ConsentChainVerifier.VerifyAsync(gateway.Db, clinic.TenantId, default);
        Assert.True(before.Intact, before.FirstBroken?.Problem);
        Assert.Equal(3, before.EventsChecked);

        // Erasure blanks provenance (ip, user agent, form URL): outside the hash, so the chain still holds.
        (await clinic.Http.DeleteAsync($"/api/patients/{patient}")).EnsureSuccessStatusCode();
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Null(await connection.ExecuteScalarAsync<string?>("select ip from consent_events where event_id = @id", new { id = ids[0] }));
        var after = await ConsentChainVerifier.VerifyAsync(gateway.Db, clinic.TenantId, default);
        Assert.True(after.Intact, after.FirstBroken?.Problem);
    }

    [Fact]
    public async Task Should_name_the_event_a_superuser_altered_behind_the_trigger()
    {
        var (clinic, _, ids) = await LedgerWithThreeEventsAsync();
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("set session_replication_role = replica"); // bypasses the append-only trigger
            await connection.ExecuteAsync("update consent_events set occurred_at = occurred_at - interval '1 year' where event_id = @id", new { id = ids[1] });
            await connection.ExecuteAsync("set session_replication_role = origin");
        }

        var report = await ConsentChainVerifier.VerifyAsync(gateway.Db, clinic.TenantId, default);

        Assert.False(report.Intact);
        Assert.Equal(ids[1], report.FirstBroken!.EventId);
        Assert.Contains("altered", report.FirstBroken.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_name_the_event_after_one_a_superuser_deleted()
    {
        var (clinic, _, ids) = await LedgerWithThreeEventsAsync();
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("set session_replication_role = replica");
            await connection.ExecuteAsync("delete from consent_events where event_id = @id", new { id = ids[1] });
            await connection.ExecuteAsync("set session_replication_role = origin");
        }

        var report = await ConsentChainVerifier.VerifyAsync(gateway.Db, clinic.TenantId, default);

        Assert.Equal(ids[2], report.FirstBroken!.EventId);
    }
}

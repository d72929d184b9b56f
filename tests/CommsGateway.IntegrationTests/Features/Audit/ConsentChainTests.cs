using System.Net.Http.Json;
using CommsGateway.Features.Audit;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Audit;

/// <summary>The consent ledger's hash chain: every writer is chained by the ledger's one append path, tampering is named.</summary>
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
    public async Task Should_chain_seeded_events_in_batches_between_recorded_ones()
    {
        var (clinic, patient, ids) = await LedgerWithThreeEventsAsync();
        // 1,200 seeded grants: more than one import transaction (1,000 events each), after three recorded events.
        var seeded = Enumerable.Range(0, 400).Select(i => $"{patient}-{i}").ToList();
        await Seed.PatientsAsync(gateway, clinic.TenantId, [.. seeded.Select(p => (p, (string?)$"{p}@example.org", (string?)null))],
            CommsGateway.Contracts.Channel.Email, CommsGateway.Contracts.Channel.Sms, CommsGateway.Contracts.Channel.WhatsApp);
        (await clinic.WithdrawAsync(seeded[0], "email")).EnsureSuccessStatusCode();

        var report = await ConsentChainVerifier.VerifyAsync(gateway.Db, clinic.TenantId, default);

        Assert.True(report.Intact, report.FirstBroken?.Problem);
        Assert.Equal(ids.Length + 1_200 + 1, report.EventsChecked);
        Assert.Equal(0, report.UnchainedEvents);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(ids.Length + 1_200 + 1, await connection.ExecuteScalarAsync<long>(
            "select chain_seq from consent_chain_head where tenant_id = @TenantId", new { clinic.TenantId }));
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

    [Fact]
    public async Task Should_name_an_event_inserted_around_the_ledgers_append_path()
    {
        var (clinic, patient, ids) = await LedgerWithThreeEventsAsync();
        long forged;
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            forged = await connection.ExecuteScalarAsync<long>("""
                insert into consent_events (tenant_id, patient_id, purpose, channel, action, occurred_at, source, wording_version,
                    wording_sha256, captured_by, recorded_by)
                values (@TenantId, @patient, 'marketing', 'email', 'grant', now(), 'web_form', 'mkt-v1',
                    '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'forged', 'forged')
                returning event_id
                """, new { clinic.TenantId, patient });
        }

        var report = await ConsentChainVerifier.VerifyAsync(gateway.Db, clinic.TenantId, default);

        Assert.False(report.Intact);
        Assert.True(forged > ids[^1]);
        Assert.Equal(forged, report.FirstBroken!.EventId);
        Assert.Contains("written around the chain", report.FirstBroken.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_chain_every_opt_out_source_through_the_same_append_path()
    {
        var (clinic, patient, _) = await LedgerWithThreeEventsAsync();
        var optOuts = gateway.Services.GetRequiredService<CommsGateway.Features.Consent.OptOuts>();
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await optOuts.WithdrawAsync(connection, tx, new CommsGateway.Features.Consent.OptOut(clinic.TenantId, patient, CommsGateway.Contracts.Channel.Sms,
                CommsGateway.Features.Consent.OptOuts.SmsStop, DateTimeOffset.UtcNow, new Dictionary<string, string?> { ["message_sid"] = "SM1" }), default);
            await tx.CommitAsync();
        }

        var report = await ConsentChainVerifier.VerifyAsync(gateway.Db, clinic.TenantId, default);

        Assert.True(report.Intact, report.FirstBroken?.Problem);
        Assert.Equal(4, report.EventsChecked);
        Assert.Equal(0, report.UnchainedEvents);
    }
}

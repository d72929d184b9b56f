using CommsGateway.Data;
using CommsGateway.Features.Audit;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Npgsql;

namespace CommsGateway.IntegrationTests.Features.Audit;

/// <summary>The console's access log on the real PostgreSQL: append-only, chained per clinic, and a broken chain is named at its row.</summary>
public sealed class AccessLogChainTests : IAsyncLifetime
{
    private TestServers _servers = null!;
    private NpgsqlDataSource _db = null!;
    private AccessLog _log = null!;

    public async Task InitializeAsync()
    {
        _servers = await TestServers.StartAsync();
        _db = Database.CreateDataSource(_servers.ConnectionString);
        await MigrationRunner.ApplyAsync(_db, CancellationToken.None);
        _log = new AccessLog(_db, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await _servers.DisposeAsync();
    }

    private static AccessEntry Entry(string tenant, string patient, string what) =>
        new(tenant, "dpo@clinic.example", "dpo", patient, what, "decision 1", "127.0.0.1");

    private async Task AppendSomeAsync(string tenant, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await _log.AppendAsync(Entry(tenant, $"p-{i}", "patient.view"), CancellationToken.None);
        }
    }

    /// <summary>A change the owner makes behind the append-only trigger, as someone with the database's keys could.</summary>
    private async Task BehindTheTriggerAsync(string sql, object args)
    {
        await using var connection = await _db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("alter table console_access_log disable trigger console_access_log_append_only", transaction: tx);
        await connection.ExecuteAsync(sql, args, tx);
        await connection.ExecuteAsync("alter table console_access_log enable trigger console_access_log_append_only", transaction: tx);
        await tx.CommitAsync();
    }

    private async Task<long> SeqOfAsync(string tenant, string patient)
    {
        await using var connection = await _db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select seq from console_access_log where tenant_id = @tenant and patient_id = @patient",
            new { tenant, patient });
    }

    [Fact]
    public async Task Should_chain_each_clinic_separately_and_verify_concurrent_appends()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => _log.AppendAsync(
            [Entry("clinic-a", $"a-{i}", "patient.view"), Entry("clinic-b", $"b-{i}", "decision.view")], CancellationToken.None)));

        var a = await _log.VerifyAsync("clinic-a", CancellationToken.None);
        var b = await _log.VerifyAsync("clinic-b", CancellationToken.None);
        Assert.True(a.Intact, a.Problem);
        Assert.True(b.Intact, b.Problem);
        Assert.Equal((8, 8), (a.RowsChecked, b.RowsChecked));
        var seen = await _log.QueryAsync("clinic-a", "a-3", null, 10, CancellationToken.None);
        Assert.Equal(("dpo@clinic.example", "dpo", "patient.view", "127.0.0.1"), (seen.Single().StaffEmail, seen.Single().StaffRole, seen.Single().What, seen.Single().FromIp));
        Assert.Empty(await _log.QueryAsync("clinic-a", "b-3", null, 10, CancellationToken.None)); // another clinic's entry
        Assert.Equal(8, (await _log.QueryAsync("clinic-b", null, "DPO@clinic.example", 100, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Should_refuse_updates_and_deletes()
    {
        await AppendSomeAsync("clinic-c", 1);
        await using var connection = await _db.OpenConnectionAsync();
        await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("update console_access_log set what = 'nothing' where tenant_id = 'clinic-c'"));
        await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("delete from console_access_log where tenant_id = 'clinic-c'"));
    }

    [Fact]
    public async Task Should_name_an_altered_row()
    {
        await AppendSomeAsync("clinic-d", 5);
        var target = await SeqOfAsync("clinic-d", "p-2");
        await BehindTheTriggerAsync("update console_access_log set staff_email = 'someone.else@clinic.example' where seq = @target", new { target });

        var report = await _log.VerifyAsync("clinic-d", CancellationToken.None);

        Assert.Equal(target, report.FirstBrokenSeq);
        Assert.Equal("row content does not match its hash (the row was altered)", report.Problem);
    }

    [Fact]
    public async Task Should_name_the_row_after_a_removed_one()
    {
        await AppendSomeAsync("clinic-e", 5);
        var removed = await SeqOfAsync("clinic-e", "p-1");
        var next = await SeqOfAsync("clinic-e", "p-2");
        await BehindTheTriggerAsync("delete from console_access_log where seq = @removed", new { removed });

        var report = await _log.VerifyAsync("clinic-e", CancellationToken.None);

        Assert.Equal(next, report.FirstBrokenSeq);
        Assert.StartsWith("prev_hash does not match", report.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_report_removed_newest_entries_and_break_at_the_next_entry_appended()
    {
        await AppendSomeAsync("clinic-f", 5);
        var third = await SeqOfAsync("clinic-f", "p-2");
        var last = await SeqOfAsync("clinic-f", "p-4");
        Assert.True((await _log.VerifyAsync("clinic-f", CancellationToken.None)).Intact);
        await BehindTheTriggerAsync("delete from console_access_log where tenant_id = 'clinic-f' and seq > @third", new { third });

        var report = await _log.VerifyAsync("clinic-f", CancellationToken.None);

        Assert.Equal(last, report.FirstBrokenSeq);
        Assert.Equal($"the chain ends at entry {third} but its head is entry {last} (the newest entries were removed)", report.Problem);

        // The next entry chains from the head, not from the newest remaining row: the gap stays visible there too.
        await AppendSomeAsync("clinic-f", 1);
        var after = await _log.VerifyAsync("clinic-f", CancellationToken.None);
        Assert.False(after.Intact);
        Assert.StartsWith("prev_hash does not match", after.Problem, StringComparison.Ordinal);
        Assert.Equal(4, after.RowsChecked);
    }

    [Fact]
    public async Task Should_keep_the_head_at_the_newest_entry_of_each_clinic()
    {
        await _log.AppendAsync([Entry("clinic-g", "g-1", "patient.view"), Entry("clinic-h", "h-1", "patient.view"), Entry("clinic-g", "g-2", "patient.view")],
            CancellationToken.None);
        await using var connection = await _db.OpenConnectionAsync();
        var heads = (await connection.QueryAsync<(string Tenant, long Seq)>(
            "select tenant_id, seq from console_access_log_head where tenant_id in ('clinic-g', 'clinic-h') order by tenant_id")).ToList();
        Assert.Equal([("clinic-g", await SeqOfAsync("clinic-g", "g-2")), ("clinic-h", await SeqOfAsync("clinic-h", "h-1"))], heads);
        await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("delete from console_access_log_head where tenant_id = 'clinic-g'"));
        Assert.True((await _log.VerifyAsync("clinic-g", CancellationToken.None)).Intact);
    }
}

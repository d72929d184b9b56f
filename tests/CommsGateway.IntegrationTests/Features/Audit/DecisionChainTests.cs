using CommsGateway.Contracts;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Intents;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CommsGateway.IntegrationTests.Features.Audit;

/// <summary>`commsgw audit verify`'s check: the per-tenant hash chain holds, and a row edited behind the app's back is named.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DecisionChainTests(GatewayFixture gateway)
{
    private static MessageIntent Reminder(string tenant, int i) => new()
    {
        IntentId = $"chain-{i:D3}-{Guid.NewGuid():N}",
        TenantId = tenant,
        Producer = "booking",
        PatientId = $"p-{i}",
        Channel = Channel.Sms,
        DeclaredPurpose = Purpose.Service,
        Category = "appointment_reminder",
        Body = $"Reminder: your appointment is tomorrow at 10:30. Ref {i}.",
    };

    private async Task<List<(long Seq, string IntentId)>> DecideAsync(string tenant, int count)
    {
        var intents = Enumerable.Range(0, count).Select(i => Reminder(tenant, i)).ToList();
        foreach (var intent in intents)
        {
            await gateway.PublishAsync(intent);
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await using var connection = await gateway.Db.OpenConnectionAsync();
            var rows = (await connection.QueryAsync<(long, string)>(
                "select seq, intent_id from decisions where tenant_id = @tenant order by seq", new { tenant })).ToList();
            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Should_verify_an_untouched_log_then_name_the_row_altered_by_a_superuser()
    {
        var tenant = $"t-chain-{Guid.NewGuid():N}";
        var rows = await DecideAsync(tenant, 20);
        Assert.Equal(20, rows.Count);

        var clean = await DecisionChainVerifier.VerifyAsync(gateway.Db, tenant, CancellationToken.None);
        Assert.True(clean.Intact, clean.FirstBroken?.Problem);
        Assert.Equal(20, clean.RowsChecked);

        var victim = rows[12];
        await AsSuperuserBypassingTriggersAsync("update decisions set outcome = 'Blocked', reasons = '{NoMarketingConsent}' where seq = @seq", new { seq = victim.Seq });

        var tampered = await DecisionChainVerifier.VerifyAsync(gateway.Db, tenant, CancellationToken.None);
        var broken = Assert.IsType<BrokenLink>(tampered.FirstBroken);
        Assert.Equal(victim.Seq, broken.Seq);
        Assert.Equal(victim.IntentId, broken.IntentId);
        Assert.Contains("altered", broken.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_name_the_row_after_a_deleted_one()
    {
        var tenant = $"t-chain-{Guid.NewGuid():N}";
        var rows = await DecideAsync(tenant, 10);
        Assert.Equal(10, rows.Count);

        await AsSuperuserBypassingTriggersAsync("delete from decisions where seq = @seq", new { seq = rows[4].Seq });

        var broken = Assert.IsType<BrokenLink>((await DecisionChainVerifier.VerifyAsync(gateway.Db, tenant, CancellationToken.None)).FirstBroken);
        Assert.Equal(rows[5].Seq, broken.Seq);
        Assert.Equal(rows[5].IntentId, broken.IntentId);
        Assert.Contains("prev_hash", broken.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_keep_every_tenant_chain_valid_when_two_gateway_hosts_append_at_once()
    {
        await using var second = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(gateway.Servers.GatewaySettings()));
        });
        _ = second.Server;
        await second.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));

        var committedBy = new int[2];
        void CountFirst(DecisionRecord _) => Interlocked.Increment(ref committedBy[0]);
        void CountSecond(DecisionRecord _) => Interlocked.Increment(ref committedBy[1]);
        gateway.Services.GetRequiredService<DecisionLog>().Committed += CountFirst;
        second.Services.GetRequiredService<DecisionLog>().Committed += CountSecond;
        try
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            var tenants = Enumerable.Range(0, 3).Select(t => $"t-two-{t}-{run}").ToArray();
            var intents = Enumerable.Range(0, 900).Select(i => Reminder(tenants[i % 3], i)).ToList();
            await Task.WhenAll(intents.Select(gateway.PublishAsync));

            var deadline = DateTime.UtcNow.AddSeconds(90);
            long rows;
            do
            {
                await Task.Delay(200);
                await using var connection = await gateway.Db.OpenConnectionAsync();
                rows = await connection.ExecuteScalarAsync<long>("select count(*) from decisions where tenant_id = any(@tenants)", new { tenants });
            }
            while (rows < 900 && DateTime.UtcNow < deadline);

            Assert.Equal(900, rows);
            Assert.True(committedBy[0] > 0 && committedBy[1] > 0, $"both hosts must have appended: {committedBy[0]} / {committedBy[1]}");
            foreach (var tenant in tenants)
            {
                var report = await DecisionChainVerifier.VerifyAsync(gateway.Db, tenant, CancellationToken.None);
                Assert.True(report.Intact, $"{tenant}: {report.FirstBroken}");
                Assert.Equal(300, report.RowsChecked);
            }
        }
        finally
        {
            gateway.Services.GetRequiredService<DecisionLog>().Committed -= CountFirst;
            second.Services.GetRequiredService<DecisionLog>().Committed -= CountSecond;
        }
    }

    /// <summary>What an attacker with the postgres superuser would do: switch triggers off and rewrite history.</summary>
    private async Task AsSuperuserBypassingTriggersAsync(string sql, object args)
    {
        var admin = new NpgsqlConnectionStringBuilder(gateway.Servers.AdminConnectionString)
        {
            Database = new NpgsqlConnectionStringBuilder(gateway.Servers.ConnectionString).Database,
        }.ConnectionString;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await connection.ExecuteAsync("set session_replication_role = replica");
        Assert.Equal(1, await connection.ExecuteAsync(sql, args));
    }
}

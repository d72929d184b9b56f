extern alias cli;

using System.Diagnostics;
using CommsGateway.IntegrationTests.Infrastructure;
using HostCpu = cli::CommsGateway.Cli.Bench.HostCpu;
using ProcStat = cli::CommsGateway.Cli.Bench.ProcStat;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>
/// The bench's host-wide CPU reading (/proc): the cores' busy and total time, the servers' processes, and the CPU of a
/// child that ended. Figures are checked for what they count, never for how fast anything ran.
/// </summary>
public sealed class HostCpuTests : IAsyncLifetime
{
    private TestServers _servers = null!;

    public async Task InitializeAsync() => _servers = await TestServers.StartAsync();

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public void Should_count_idle_and_iowait_as_not_busy_and_every_other_field_of_the_cpu_line_as_busy()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user already).
        var (busy, capacity) = HostCpu.CoresOf("cpu  100 5 50 800 20 3 2 10 40 0");

        Assert.Equal(TimeSpan.FromSeconds(1.70), busy);
        Assert.Equal(TimeSpan.FromSeconds(9.90), capacity);
    }

    [Fact]
    public void Should_take_exactly_the_busy_ticks_as_busy_time_when_the_cores_were_never_idle_between_two_readings()
    {
        // Large counters, as on a host up for days: converted through floating-point seconds, each reading rounded on its
        // own and the busy difference came out a tick above the capacity's.
        var (busyBefore, capacityBefore) = HostCpu.CoresOf("cpu  123456713 0 0 987654321 0 0 0 0 0 0");
        var (busyAfter, capacityAfter) = HostCpu.CoresOf("cpu  123457455 0 0 987654321 0 0 0 0 0 0");

        Assert.Equal(TimeSpan.FromMilliseconds(7_420), busyAfter - busyBefore);
        Assert.Equal(TimeSpan.FromMilliseconds(7_420), capacityAfter - capacityBefore);
    }

    [Fact]
    public void Should_read_the_parent_the_cpu_and_the_reaped_children_time_past_a_command_name_holding_spaces_and_parentheses()
    {
        const string stat = "4242 (post gres (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 250 125 20 0 1 0 100 0 0";

        var parsed = ProcStat.Parse(stat);

        Assert.Equal(("post gres (x)", 1), (parsed.Command, parsed.ParentId));
        Assert.Equal(TimeSpan.FromSeconds(0.10), parsed.CpuTime);
        Assert.Equal(TimeSpan.FromSeconds(3.75), parsed.ReapedChildren);
    }

    [Fact]
    public async Task Should_see_the_database_work_and_a_finished_child_s_cpu_between_two_snapshots()
    {
        var before = HostCpu.Now();

        // PostgreSQL burns CPU in a backend that then ends: its time must still be counted (the postmaster reaped it).
        await using (var connection = new Npgsql.NpgsqlConnection(_servers.AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var burn = new Npgsql.NpgsqlCommand("select count(*) from generate_series(1, 3000000) g where md5(g::text) like 'a%'", connection);
            await burn.ExecuteScalarAsync();
        }

        Npgsql.NpgsqlConnection.ClearAllPools();
        using (var child = Process.Start(new ProcessStartInfo("sh", ["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"]) { UseShellExecute = false })!)
        {
            await child.WaitForExitAsync();
        }

        var used = HostCpu.Now() - before;

        Assert.True(used.Database >= TimeSpan.FromMilliseconds(100), $"PostgreSQL: {used.Database}");
        Assert.True(used.ReapedChildren >= TimeSpan.FromMilliseconds(50), $"the ended child: {used.ReapedChildren}");
        Assert.True(used.Busy >= used.Database, $"host busy {used.Busy} < database {used.Database}");
        Assert.True(used.Capacity >= used.Busy && used.BusyShare is > 0 and <= 1, $"{used.Busy} of {used.Capacity}");
        Assert.True(used.Broker >= TimeSpan.Zero);
    }
}

using System.Globalization;

namespace CommsGateway.Cli.Bench;

/// <summary>
/// CPU time of the whole host and of the servers' processes, from /proc, so a run can say what the cores had to give
/// and who took it: the host's busy and total time over every core (<c>/proc/stat</c>), RabbitMQ's <c>beam.smp</c>, and
/// PostgreSQL (the postmaster, its live backends, and through the postmaster's reaped-children time the backends that
/// ended), plus this process's own reaped children (a `commsgw` verb run to completion, such as `campaign queue`).
/// The difference of two snapshots is a run's use.
/// </summary>
internal readonly record struct HostCpu(TimeSpan Busy, TimeSpan Capacity, TimeSpan Broker, TimeSpan Database, TimeSpan ReapedChildren)
{
    /// <summary>The busy share of the cores over the interval (0-1).</summary>
    public double BusyShare => Capacity <= TimeSpan.Zero ? double.NaN : Busy / Capacity;

    public static HostCpu operator -(HostCpu after, HostCpu before) => new(after.Busy - before.Busy, after.Capacity - before.Capacity,
        after.Broker - before.Broker, after.Database - before.Database, after.ReapedChildren - before.ReapedChildren);

    public static HostCpu Now()
    {
        var (busy, capacity) = CoresOf(File.ReadLines("/proc/stat").First());
        TimeSpan broker = TimeSpan.Zero, database = TimeSpan.Zero;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }

            try
            {
                var stat = ProcStat.Parse(File.ReadAllText(Path.Combine(directory, "stat")));
                if (stat.Command == "beam.smp")
                {
                    broker += stat.CpuTime;
                }
                else if (stat.Command == "postgres")
                {
                    database += stat.CpuTime + (IsPostmaster(stat) ? stat.ReapedChildren : TimeSpan.Zero);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended between the listing and the read: a backend's time then shows in the postmaster's.
            }
        }

        return new HostCpu(busy, capacity, broker, database, ProcStat.Of(Environment.ProcessId).ReapedChildren);
    }

    /// <summary>Busy and total time over every core from the <c>cpu</c> line of /proc/stat (idle and iowait are not busy).</summary>
    internal static (TimeSpan Busy, TimeSpan Capacity) CoresOf(string cpuLine)
    {
        ArgumentNullException.ThrowIfNull(cpuLine);
        // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already counted in user.
        var ticks = cpuLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var total = ticks.Sum();
        var idle = ticks[3] + ticks[4];
        return (ProcStat.FromClockTicks(total - idle), ProcStat.FromClockTicks(total));
    }

    /// <summary>The postmaster is the postgres process whose parent is not one: backends are its children.</summary>
    private static bool IsPostmaster(ProcStat stat)
    {
        try
        {
            return ProcStat.Of(stat.ParentId).Command != "postgres";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }
}

using System.Globalization;

namespace CommsGateway.Cli.Bench;

/// <summary>
/// A <c>/proc/PID/stat</c> (or <c>/proc/PID/task/TID/stat</c>) line, as proc(5) numbers its fields: the command name
/// (field 2, inside parentheses, which it may itself hold) and the fields after it. Times are in clock ticks.
/// </summary>
internal readonly record struct ProcStat(string Command, string[] After)
{
    /// <summary>USER_HZ: /proc reports CPU time in these ticks per second on Linux.</summary>
    internal const long ClockTicksPerSecond = 100;

    /// <summary>
    /// Clock ticks as a TimeSpan, exactly (one tick is 100,000 TimeSpan ticks): a conversion through floating-point
    /// seconds rounds each reading on its own, and a difference of two readings can then be off by a tick.
    /// </summary>
    internal static TimeSpan FromClockTicks(long clockTicks) => TimeSpan.FromTicks(clockTicks * (TimeSpan.TicksPerSecond / ClockTicksPerSecond));

    public static ProcStat Parse(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        var close = stat.LastIndexOf(')');
        return new ProcStat(stat[(stat.IndexOf('(') + 1)..close], stat[(close + 2)..].Split(' '));
    }

    public static ProcStat Of(int pid) => Parse(File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat"));

    /// <summary>Field 4, ppid.</summary>
    public int ParentId => int.Parse(Field(4), CultureInfo.InvariantCulture);

    /// <summary>Fields 14 and 15: utime + stime.</summary>
    public TimeSpan CpuTime => Ticks(14) + Ticks(15);

    /// <summary>Fields 16 and 17: cutime + cstime, the CPU time of the children this process waited for.</summary>
    public TimeSpan ReapedChildren => Ticks(16) + Ticks(17);

    private string Field(int number) => After[number - 3];

    private TimeSpan Ticks(int number) => FromClockTicks(long.Parse(Field(number), CultureInfo.InvariantCulture));
}

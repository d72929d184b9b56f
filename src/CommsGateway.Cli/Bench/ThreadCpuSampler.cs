using System.Globalization;

namespace CommsGateway.Cli.Bench;

/// <summary>
/// CPU time of one kind of thread of a process (by name prefix: Linux keeps 15 characters, so the runtime's tier-1 JIT
/// thread is ".NET Tiered Com"), from <c>/proc/PID/task/TID/stat</c>. The runtime ends that thread when it has nothing
/// to compile and starts another later, and an ended thread leaves /proc: sampling every 200 ms and keeping each
/// thread's last reading loses at most the last 200 ms of a thread that ended.
/// </summary>
internal sealed class ThreadCpuSampler : IAsyncDisposable
{
    private readonly string _tasks;
    private readonly string _namePrefix;
    private readonly Dictionary<string, TimeSpan> _cpu = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ThreadCpuSampler(int pid, string namePrefix)
    {
        _tasks = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task";
        _namePrefix = namePrefix;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>CPU time the matching threads used since the process started (up to the latest sample).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            lock (_cpu)
            {
                Sample();
                return _cpu.Values.Aggregate(TimeSpan.Zero, (sum, t) => sum + t);
            }
        }
    }

    private async Task LoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                lock (_cpu)
                {
                    Sample();
                }

                await Task.Delay(200, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private void Sample()
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories(_tasks);
        }
        catch (IOException)
        {
            return; // the process ended
        }

        foreach (var task in tasks)
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(_namePrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                _cpu[Path.GetFileName(task)] = ProcStat.Parse(File.ReadAllText(Path.Combine(task, "stat"))).CpuTime;
            }
            catch (IOException)
            {
                // the thread ended meanwhile: its last reading stays
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

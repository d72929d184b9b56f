extern alias cli;

using CommsGateway.IntegrationTests.Infrastructure;
using ThreadCpuSampler = cli::CommsGateway.Cli.Bench.ThreadCpuSampler;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>The bench's per-thread CPU reading (/proc/PID/task): counts only the named threads, and keeps an ended thread's CPU.</summary>
public sealed class ThreadCpuSamplerTests
{
    [Fact]
    public async Task Should_count_the_named_threads_only_and_keep_a_thread_s_cpu_once_it_ended()
    {
        var name = "cpu-" + Guid.NewGuid().ToString("N")[..6];
        await using var sampler = new ThreadCpuSampler(Environment.ProcessId, name);
        await using var other = new ThreadCpuSampler(Environment.ProcessId, "no-such-thread");
        using var stop = new CancellationTokenSource();
        var burner = new Thread(() =>
        {
            var x = 0L;
            while (!stop.IsCancellationRequested)
            {
                x++;
            }

            GC.KeepAlive(x);
        }) { Name = name, IsBackground = true };
        burner.Start();

        var seen = await Poll.UntilAsync(() => Task.FromResult(sampler.CpuTime), t => t >= TimeSpan.FromMilliseconds(100));
        await stop.CancelAsync();
        burner.Join();

        // Ended (an ended thread leaves /proc): its CPU stays counted.
        await Task.Delay(300);
        Assert.True(sampler.CpuTime >= seen, $"{sampler.CpuTime} after the thread ended, {seen} while it ran");
        Assert.Equal(TimeSpan.Zero, other.CpuTime);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace CommsGateway.Cli.Bench;

/// <summary>
/// A `commsgw` verb in its own OS process (`dotnet exec commsgw.dll ...`, this very binary), configured by environment
/// variables (Section__Key), as an operator runs it. Its CPU time and memory are read from /proc: utime + stime of
/// <c>/proc/PID/stat</c> (clock ticks of 10 ms) and VmHWM / VmRSS of <c>/proc/PID/status</c>; the peak can be reset
/// (<c>clear_refs</c> 5) so it covers one run only.
/// </summary>
internal sealed class BenchProcess : IAsyncDisposable
{
    private const int KeptLines = 200;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<string> _firstMatch = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _waitFor;

    private BenchProcess(Process process, string? waitFor)
    {
        _process = process;
        _waitFor = waitFor;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> OutputTail => [.. _output];

    /// <summary>commsgw.dll: this process's own assembly.</summary>
    public static string Binary => typeof(BenchProcess).Assembly.Location;

    /// <summary>Starts <c>commsgw <paramref name="args"/></c>; <paramref name="waitFor"/>: a text its output will show once ready.</summary>
    public static BenchProcess Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> settings, string? waitFor = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Binary)!,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Binary);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The shell's Section__Key settings pass through (RabbitMq__PrefetchCount=... tunes the gateway under test);
        // the bench's own settings below win, and the environment name is the bench's.
        foreach (var key in start.Environment.Keys.Where(k => k.EndsWith("_ENVIRONMENT", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["NO_COLOR"] = "1";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = start };
        var child = new BenchProcess(process, waitFor);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (_waitFor is not null && line.Contains(_waitFor, StringComparison.Ordinal))
        {
            _firstMatch.TrySetResult(line);
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>The first output line holding the text given at start.</summary>
    public async Task<string> WaitForLineAsync(TimeSpan timeout, CancellationToken ct)
    {
        var exited = _process.WaitForExitAsync(ct);
        var done = await Task.WhenAny(_firstMatch.Task, exited, Task.Delay(timeout, ct));
        if (done == _firstMatch.Task)
        {
            return await _firstMatch.Task;
        }

        throw new InvalidOperationException($"commsgw {_process.StartInfo.ArgumentList[2]} {(done == exited ? "exited" : "did not start in time")}:\n{Tail(40)}");
    }

    /// <summary>Polls <paramref name="url"/> until it answers 2xx.</summary>
    public async Task WaitReadyAsync(string url, TimeSpan timeout, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"commsgw exited {_process.ExitCode} before it was ready:\n{Tail(40)}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(url), ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // not listening yet
            }

            await Task.Delay(250, ct);
        }

        throw new TimeoutException($"commsgw not ready after {timeout}:\n{Tail(40)}");
    }

    /// <summary>Waits for the process to end by itself; its exit code.</summary>
    public async Task<int> ExitAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct);
        return _process.ExitCode;
    }

    public string Tail(int lines) => string.Join('\n', OutputTail.TakeLast(lines));

    /// <summary>CPU time (user + system) the process used so far.</summary>
    public TimeSpan CpuTime => CpuTimeOf(Id);

    public static TimeSpan CpuTimeOf(int pid) => ProcStat.Of(pid).CpuTime;

    /// <summary>Peak resident set since start or since the last <see cref="ResetPeak"/> (VmHWM), in MB.</summary>
    public double PeakWorkingSetMb => StatusMb(Id, "VmHWM:");

    public double WorkingSetMb => StatusMb(Id, "VmRSS:");

    public static double StatusMb(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>Resets VmHWM to the current resident set (Linux: "5" to clear_refs); false when not permitted.</summary>
    public static bool ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM (a graceful stop: the gateway finishes its work and writes its profile), then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false }))
        {
            await kill!.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace CommsGateway.IntegrationTests.Faults;

/// <summary>
/// A gateway in its own OS process: the real CLI, `dotnet commsgw.dll run --urls http://127.0.0.1:PORT`, configured
/// only through environment variables (Section__Key), as an operator would run a second instance. Its output is kept
/// (the last lines) for when an invariant fails; it is killed with its process tree on dispose, whatever happened.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _http;

    private GatewayProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The last lines the process wrote (stdout and stderr interleaved as they arrived).</summary>
    public IReadOnlyList<string> OutputTail => [.. _output];

    /// <summary>Starts the CLI with <paramref name="settings"/> as environment variables, then waits for /health/ready.</summary>
    public static async Task<GatewayProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, TimeSpan readyTimeout)
    {
        var port = PrivateServers.FreePort();
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(CliDll())!,
        };
        foreach (var arg in (string[])["exec", CliDll(), "run", "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"])
        {
            start.ArgumentList.Add(arg);
        }

        // Testing, as the in-process instance: the committed development unsubscribe keys are accepted, nothing else differs.
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment.Remove("ASPNETCORE_URLS"); // --urls decides
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = start };
        var child = new GatewayProcess(process, port);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await child.WaitReadyAsync(readyTimeout);
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }

        return child;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"gateway process exited {_process.ExitCode} before it was ready:\n{string.Join('\n', OutputTail.TakeLast(40))}");
            }

            try
            {
                using var response = await _http.GetAsync("health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.GetType().Name;
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"gateway process not ready after {timeout} ({last}):\n{string.Join('\n', OutputTail.TakeLast(40))}");
    }

    /// <summary>kill -9: SIGKILL, no shutdown hook, no flush, connections dropped mid-call, as a crash or the OOM killer would.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true); // SIGKILL on Linux
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _process.WaitForExitAsync(cts.Token);
    }

    /// <summary>Decisions this process recorded: commsgw_decisions_total from its /metrics, summed over outcomes and channels.</summary>
    public async Task<long> DecidedAsync()
    {
        var text = await _http.GetStringAsync("metrics");
        return SumCounter(text, "commsgw_decisions_total");
    }

    /// <summary>Sums a Prometheus counter's samples: `name{labels} value [timestamp]` or `name value [timestamp]`.</summary>
    internal static long SumCounter(string exposition, string name)
    {
        double sum = 0;
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not ('{' or ' '))
            {
                continue;
            }

            var afterLabels = line[name.Length] == '{' ? line[(line.LastIndexOf('}') + 1)..] : line[name.Length..];
            sum += double.Parse(afterLabels.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        return (long)sum;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
        : "dotnet";

    /// <summary>
    /// The CLI as built next to the tests: src/CommsGateway.Cli/bin/{Configuration}/net10.0/commsgw.dll, with its own
    /// runtimeconfig, deps and appsettings (the test project references the CLI, so building the tests built it).
    /// </summary>
    internal static string CliDll()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        for (var dir = testBin; dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "src", "CommsGateway.Cli", "bin", configuration, framework, "commsgw.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        throw new FileNotFoundException($"commsgw.dll ({configuration}/{framework}) not found above {testBin.FullName}: build the CLI first");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // never started, or already gone
        }

        _process.Dispose();
        _http.Dispose();
    }
}

using System.Diagnostics;
using CommsGateway.IntegrationTests.Infrastructure;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>What one `dotnet commsgw.dll ...` process returned and printed.</summary>
internal sealed record ProcessResult(int ExitCode, string Out, string Error)
{
    public string All => Out + Error;
}

/// <summary>
/// The built `commsgw` binary run as an operator runs it: its own process, so nothing the test host set up
/// (Dapper's mapping, a started gateway, the working directory) can hide a verb that is broken on its own.
/// </summary>
internal static class CommsgwProcess
{
    /// <summary>The commsgw.dll the build copied next to the tests (the Cli project's output).</summary>
    public static string Binary => Path.Combine(AppContext.BaseDirectory, "commsgw.dll");

    /// <summary>
    /// The environment an operator would set: the servers of <paramref name="servers"/> (this run's database and
    /// vhost) and the Development environment; nothing else of the test run's own settings leaks in.
    /// </summary>
    public static Dictionary<string, string> Environment(TestServers servers, string environment = "Development") => new()
    {
        ["DOTNET_ENVIRONMENT"] = environment,
        ["Database__ConnectionString"] = servers.ConnectionString,
        ["RabbitMq__Host"] = servers.RabbitHost,
        ["RabbitMq__Port"] = servers.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RabbitMq__VirtualHost"] = servers.RabbitVirtualHost,
        ["RabbitMq__Username"] = servers.RabbitUser,
        ["RabbitMq__Password"] = servers.RabbitPassword,
    };

    public static ProcessStartInfo StartInfo(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        start.ArgumentList.Add(Binary);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.Contains("__", StringComparison.Ordinal) || k.EndsWith("_ENVIRONMENT", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["COLUMNS"] = "240";
        return start;
    }

    /// <summary>Runs to completion; <paramref name="stdin"/> is typed then closed (a redirected, non-interactive stdin).</summary>
    public static async Task<ProcessResult> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment,
        string stdin = "", string? workingDirectory = null, TimeSpan? timeout = null)
    {
        using var process = Process.Start(StartInfo(args, environment, workingDirectory))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"commsgw {string.Join(' ', args)} did not finish: {await output}{await error}");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Starts a long-running verb, waits until <paramref name="ready"/> says it works (or it exits: a failure),
    /// then stops it. Returns what it printed, and whether it was still running when stopped.
    /// </summary>
    public static async Task<(bool Running, ProcessResult Result)> RunUntilAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment,
        Func<Task<bool>> ready, TimeSpan timeout, string? workingDirectory = null)
    {
        using var process = Process.Start(StartInfo(args, environment, workingDirectory))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardInput.Close();
        var deadline = DateTime.UtcNow + timeout;
        var running = false;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            if (await ready())
            {
                running = !process.HasExited;
                break;
            }

            await Task.Delay(250);
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        return (running, new ProcessResult(process.ExitCode, await output, await error));
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CommsGateway.IntegrationTests.Observability;

/// <summary>
/// A throw-away PostgreSQL cluster (initdb into a temp dir, pg_ctl on a free port, socket in /tmp) that a test
/// may stop and start. The shared server on 5432 is never touched.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dataDir;

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Database=postgres;Username=postgres;Timeout=3;Command Timeout=5";

    private PrivatePostgres(string bin, string dataDir, int port)
    {
        _bin = bin;
        _dataDir = dataDir;
        Port = port;
    }

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL binaries not found under /usr/lib/postgresql (run scripts/servers.sh)");
        var dir = Path.Combine(Path.GetTempPath(), "commsgw-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        await RunAsync("chown", $"postgres:postgres {dir}");
        await RunAsync("chmod", $"700 {dir}");
        var pg = new PrivatePostgres(bin, dir, FreePort());
        await pg.AsPostgresAsync($"'{bin}/initdb' -D '{dir}' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8");
        await pg.StartServerAsync();
        return pg;
    }

    public Task StartServerAsync() => AsPostgresAsync(
        $"'{_bin}/pg_ctl' -D '{_dataDir}' -l '{_dataDir}/server.log' -w -t 60 start -o \"-c listen_addresses=127.0.0.1 -p {Port} -k /tmp\"");

    public Task StopServerAsync() => AsPostgresAsync($"'{_bin}/pg_ctl' -D '{_dataDir}' -w -t 60 -m fast stop");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopServerAsync();
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        Directory.Delete(_dataDir, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task AsPostgresAsync(string command) => RunAsync("su", $"postgres -s /bin/sh -c \"{command.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");

    private static async Task RunAsync(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/tmp",
        }) ?? throw new InvalidOperationException($"Cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}: {await stderr} {await stdout}");
        }
    }
}

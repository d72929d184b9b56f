using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CommsGateway.IntegrationTests.Faults;

/// <summary>
/// Private server instances a fault test may kill: the shared servers on 5432/5672 are never touched.
/// Free loopback ports, data in a temp directory, removed on dispose. Needs root (su to postgres/rabbitmq),
/// as the Debian packages install them.
/// </summary>
internal static class PrivateServers
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<string> RunAsync(string command, TimeSpan? timeout = null)
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{command}` exited {process.ExitCode}: {await stderr} {await stdout}");
        }

        return await stdout;
    }

    public static async Task WaitForPortAsync(int port, bool open, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await IsOpenAsync(port) == open)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"port {port} still {(open ? "closed" : "open")} after {timeout}");
    }

    private static async Task<bool> IsOpenAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return false;
        }
    }

    internal static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A throwaway PostgreSQL cluster (initdb into a temp dir, pg_ctl on a free port, socket in /tmp).</summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;

    private PrivatePostgres(string bin, string dir, int port)
    {
        _bin = bin;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={PrivateServers.Invariant(Port)};Database=postgres;Username=postgres;Maximum Pool Size=60;Timeout=5";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .First(d => File.Exists(Path.Combine(d, "initdb")));
        var dir = Path.Combine(Path.GetTempPath(), "commsgw-fault-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        await PrivateServers.RunAsync($"chown postgres:postgres '{dir}' && chmod 700 '{dir}' && su postgres -s /bin/sh -c \"'{bin}/initdb' -D '{dir}/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8\" >/dev/null");
        var pg = new PrivatePostgres(bin, dir, PrivateServers.FreePort());
        await pg.StartServerAsync();
        return pg;
    }

    public Task StartServerAsync() => PrivateServers.RunAsync(
        $"su postgres -s /bin/sh -c \"'{_bin}/pg_ctl' -D '{_dir}/data' -l '{_dir}/postgres.log' -w -t 60 start -o '-c listen_addresses=127.0.0.1 -p {PrivateServers.Invariant(Port)} -k /tmp -c max_connections=200'\" >/dev/null");

    /// <summary>Fast shutdown: open connections are cut, as in a crash of the database host.</summary>
    public Task StopServerAsync() => PrivateServers.RunAsync(
        $"su postgres -s /bin/sh -c \"'{_bin}/pg_ctl' -D '{_dir}/data' -m fast -w -t 60 stop\" >/dev/null");

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

        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>
/// A throwaway RabbitMQ node (own node name, AMQP and distribution ports, mnesia and logs in a temp dir,
/// no plugins), started through the Debian layout as the rabbitmq user; stopped with rabbitmqctl -n.
/// </summary>
internal sealed class PrivateRabbit : IAsyncDisposable
{
    private readonly string _dir;
    private readonly string _env;

    private PrivateRabbit(string dir, int port, string node)
    {
        _dir = dir;
        Port = port;
        Node = node;
        var dist = PrivateServers.FreePort();
        _env = $"HOME=/var/lib/rabbitmq RABBITMQ_NODENAME={node} RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT={PrivateServers.Invariant(port)} " +
               $"RABBITMQ_DIST_PORT={PrivateServers.Invariant(dist)} RABBITMQ_MNESIA_BASE={dir}/mnesia RABBITMQ_LOG_BASE={dir}/log " +
               $"RABBITMQ_ENABLED_PLUGINS_FILE={dir}/enabled_plugins RABBITMQ_CONFIG_FILE={dir}/rabbitmq RABBITMQ_PID_FILE={dir}/pid ERL_EPMD_ADDRESS=127.0.0.1";
    }

    public int Port { get; }

    public string Node { get; }

    public static async Task<PrivateRabbit> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "commsgw-fault-rmq-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var port = PrivateServers.FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "enabled_plugins"), "[].\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "rabbitmq.conf"),
            $"listeners.tcp.default = 127.0.0.1:{PrivateServers.Invariant(port)}\nloopback_users = none\nlog.console = false\nlog.file.level = warning\n");
        await PrivateServers.RunAsync($"chown -R rabbitmq:rabbitmq '{dir}'");
        var rabbit = new PrivateRabbit(dir, port, $"faulttest{Guid.NewGuid().ToString("N")[..6]}@localhost");
        await rabbit.StartServerAsync();
        return rabbit;
    }

    public async Task StartServerAsync()
    {
        // Straight to /usr/lib/rabbitmq/bin: the /usr/sbin wrapper would write the shared node's startup log.
        // All of the background job's descriptors go to the log, so our stdout pipe closes when sh exits.
        await PrivateServers.RunAsync(
            $"su rabbitmq -s /bin/sh -c \"(cd /var/lib/rabbitmq && exec env {_env} nohup /usr/lib/rabbitmq/bin/rabbitmq-server) > {_dir}/out.log 2>&1 < /dev/null &\"");
        await PrivateServers.WaitForPortAsync(Port, open: true, TimeSpan.FromSeconds(60));
    }

    public async Task StopServerAsync()
    {
        await PrivateServers.RunAsync($"su rabbitmq -s /bin/sh -c \"cd /var/lib/rabbitmq && HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl -n {Node} stop\" >/dev/null");
        await PrivateServers.WaitForPortAsync(Port, open: false, TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopServerAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // already stopped
        }

        Directory.Delete(_dir, recursive: true);
    }
}

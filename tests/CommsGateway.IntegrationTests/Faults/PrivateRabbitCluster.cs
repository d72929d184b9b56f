using System.Text.Json;

namespace CommsGateway.IntegrationTests.Faults;

/// <summary>
/// Three throwaway RabbitMQ nodes clustered on loopback (free AMQP and distribution ports, data in a temp dir, no
/// plugins), as scripts/cluster.sh runs them but private to one test: nodes 2 and 3 join node 1 (same Erlang cookie,
/// the rabbitmq user's). A node can be killed with SIGKILL and started again on its data, as after a host crash.
/// Every node is stopped (or killed) and its data removed on dispose.
/// </summary>
internal sealed class PrivateRabbitCluster : IAsyncDisposable
{
    private readonly string _dir;
    private readonly List<ClusterNode> _nodes = [];

    private PrivateRabbitCluster(string dir) => _dir = dir;

    public IReadOnlyList<ClusterNode> Nodes => _nodes;

    /// <summary>"127.0.0.1:port" for each node, the form RabbitMq:ClusterNodes takes.</summary>
    public IReadOnlyList<string> Endpoints => [.. _nodes.Select(n => $"127.0.0.1:{PrivateServers.Invariant(n.Port)}")];

    public static async Task<PrivateRabbitCluster> StartAsync(int size = 3)
    {
        var dir = Path.Combine(Path.GetTempPath(), "commsgw-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var cluster = new PrivateRabbitCluster(dir);
        try
        {
            var tag = Guid.NewGuid().ToString("N")[..6];
            for (var i = 1; i <= size; i++)
            {
                cluster._nodes.Add(await ClusterNode.CreateAsync(Path.Combine(dir, "r" + PrivateServers.Invariant(i)), $"commsgw-c{tag}-r{PrivateServers.Invariant(i)}@localhost"));
            }

            await PrivateServers.RunAsync($"chown -R rabbitmq:rabbitmq '{dir}'");
            foreach (var node in cluster._nodes)
            {
                await node.LaunchAsync();
            }

            foreach (var node in cluster._nodes)
            {
                await PrivateServers.WaitForPortAsync(node.Port, open: true, TimeSpan.FromSeconds(120));
            }

            var seed = cluster._nodes[0];
            foreach (var node in cluster._nodes.Skip(1))
            {
                await node.CtlAsync("stop_app");
                await node.CtlAsync($"join_cluster {seed.Name}");
                await node.CtlAsync("start_app");
            }

            await seed.CtlAsync($"await_online_nodes {PrivateServers.Invariant(size)}", TimeSpan.FromSeconds(120));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>The node leading <paramref name="queue"/> and the members online, as a running node reports them.</summary>
    public async Task<(string Leader, IReadOnlyList<string> Online)> QuorumStateAsync(string queue, ClusterNode? except = null)
    {
        var asker = _nodes.First(n => n != except && !n.Killed);
        var json = await asker.CtlAsync("list_queues -p / name leader online --formatter json");
        foreach (var row in JsonDocument.Parse(json[json.IndexOf('[', StringComparison.Ordinal)..]).RootElement.EnumerateArray())
        {
            if (row.GetProperty("name").GetString() == queue)
            {
                var online = row.GetProperty("online").ValueKind == JsonValueKind.Array
                    ? row.GetProperty("online").EnumerateArray().Select(e => e.GetString()!).ToList()
                    : [];
                return (row.GetProperty("leader").GetString() ?? "", online);
            }
        }

        throw new InvalidOperationException($"{queue} not found on {asker.Name}");
    }

    public ClusterNode Node(string name) => _nodes.Single(n => n.Name == name);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.StopOrKillAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by a dying process: the temp dir is cleaned with the machine
        }
    }
}

/// <summary>One node of a <see cref="PrivateRabbitCluster"/>.</summary>
internal sealed class ClusterNode
{
    private readonly string _dir;
    private readonly string _env;

    private ClusterNode(string dir, string name, int port, int dist)
    {
        _dir = dir;
        Name = name;
        Port = port;
        _env = $"HOME=/var/lib/rabbitmq RABBITMQ_NODENAME={name} RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT={PrivateServers.Invariant(port)} " +
               $"RABBITMQ_DIST_PORT={PrivateServers.Invariant(dist)} RABBITMQ_MNESIA_BASE={dir}/mnesia RABBITMQ_LOG_BASE={dir}/log " +
               $"RABBITMQ_ENABLED_PLUGINS_FILE={dir}/enabled_plugins RABBITMQ_CONFIG_FILE={dir}/rabbitmq " +
               $"RABBITMQ_ADVANCED_CONFIG_FILE={dir}/advanced.config RABBITMQ_PID_FILE={dir}/pid ERL_EPMD_ADDRESS=127.0.0.1";
    }

    public string Name { get; }

    public int Port { get; }

    public bool Killed { get; private set; }

    public static async Task<ClusterNode> CreateAsync(string dir, string name)
    {
        Directory.CreateDirectory(dir);
        var port = PrivateServers.FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "enabled_plugins"), "[].\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "rabbitmq.conf"),
            $"listeners.tcp.default = 127.0.0.1:{PrivateServers.Invariant(port)}\nloopback_users = none\nlog.console = false\nlog.file.level = warning\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "advanced.config"), "[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].\n");
        return new ClusterNode(dir, name, port, PrivateServers.FreePort());
    }

    public async Task LaunchAsync()
    {
        Killed = false;
        await PrivateServers.RunAsync(
            $"su rabbitmq -s /bin/sh -c \"(cd /var/lib/rabbitmq && exec env {_env} nohup /usr/lib/rabbitmq/bin/rabbitmq-server) > {_dir}/out.log 2>&1 < /dev/null &\"");
    }

    /// <summary>Starts the node again on its data: it rejoins the cluster it was in.</summary>
    public async Task RestartAsync()
    {
        await LaunchAsync();
        await PrivateServers.WaitForPortAsync(Port, open: true, TimeSpan.FromSeconds(120));
    }

    public Task<string> CtlAsync(string arguments, TimeSpan? timeout = null) => PrivateServers.RunAsync(
        $"su rabbitmq -s /bin/sh -c \"cd /var/lib/rabbitmq && HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl -n {Name} {arguments}\"",
        timeout ?? TimeSpan.FromSeconds(90));

    /// <summary>SIGKILL to the node's Erlang VM: no goodbye to its peers or its clients, as when the host dies.</summary>
    public async Task KillAsync()
    {
        var pid = (await File.ReadAllTextAsync(Path.Combine(_dir, "pid"))).Trim();
        await PrivateServers.RunAsync($"kill -9 {pid}");
        Killed = true;
        await PrivateServers.WaitForPortAsync(Port, open: false, TimeSpan.FromSeconds(30));
    }

    public async Task StopOrKillAsync()
    {
        try
        {
            if (!Killed)
            {
                await CtlAsync("stop", TimeSpan.FromSeconds(60));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            // not answering: killed below
        }

        var pidFile = Path.Combine(_dir, "pid");
        if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid)
            && File.Exists($"/proc/{PrivateServers.Invariant(pid)}/comm")
            && (await File.ReadAllTextAsync($"/proc/{PrivateServers.Invariant(pid)}/comm")).Trim() == "beam.smp")
        {
            await PrivateServers.RunAsync($"kill -9 {PrivateServers.Invariant(pid)}");
        }

        Killed = true;
    }
}

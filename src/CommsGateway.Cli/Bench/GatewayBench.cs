using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CommsGateway.FakeProviders;
using HdrHistogram;
using Npgsql;
using RabbitMQ.Client;

namespace CommsGateway.Cli.Bench;

/// <summary>One measured run against the gateway process. CPU and memory are per process: gateway, producer (this bench), fake providers.</summary>
internal sealed record GatewayRun(
    int N,
    double DecisionsPerSecond,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double GatewayCpuMicrosPerDecision,
    double GatewayPeakWorkingSetMb,
    double ProducerCpuMicrosPerDecision,
    double ProducerPeakWorkingSetMb,
    double FakeProvidersCpuMicrosPerDecision,
    bool PeakReset,
    string Latency,
    string Outcomes)
{
    /// <summary>Of <see cref="GatewayCpuMicrosPerDecision"/>, what the runtime's background tier-1 JIT thread took.</summary>
    public double GatewayJitCpuMicrosPerDecision { get; init; }

    /// <summary>The host's CPU over the run (<see cref="HostCpu"/>): every process, the servers' among them.</summary>
    public HostCpu Host { get; init; }

    public double BrokerCpuMicrosPerDecision => Host.Broker.TotalMicroseconds / N;

    public double DatabaseCpuMicrosPerDecision => Host.Database.TotalMicroseconds / N;

    /// <summary>Busy CPU of the whole host per decision: what one decision costs the machine, all processes together.</summary>
    public double HostCpuMicrosPerDecision => Host.Busy.TotalMicroseconds / N;

    /// <summary>The rate at which the host's cores would be full at that cost: no pipeline shape decides faster here.</summary>
    public double CpuCeilingDecisionsPerSecond => Environment.ProcessorCount * 1e6 / HostCpuMicrosPerDecision;
}

/// <summary>CPU seconds each process took over a campaign run, and the least time the host's cores needed for them.</summary>
internal sealed record CampaignCpu(double Gateway, double Broker, double Database, double FakeProviders, double QueueCommand, double Bench, double HostBusy, int Cores)
{
    /// <summary>The host's busy CPU spread over every core: a CPU-bound run cannot finish sooner.</summary>
    public double FloorSeconds => HostBusy / Cores;
}

/// <summary>From `campaign queue` to every personalization accepted by the fake SendGrid.</summary>
internal sealed record CampaignRun(
    int Recipients,
    double QueueSeconds,
    double TotalSeconds,
    long Accepted,
    long SendGridRequests,
    double GatewayCpuMicrosPerEmail,
    double GatewayPeakWorkingSetMb,
    bool Complete,
    CampaignCpu Cpu);

/// <summary>
/// The gateway as its own process (`commsgw run`, configured by environment variables like any deployment) and the fake
/// providers as another (`commsgw fake-providers --unthrottled`), on a fresh database and vhost; this process is only
/// the producer. A producer publishes plain-JSON intents to the intent queue with publisher confirms; a decision counts
/// when its row is COMMITTED: the bench adds, to its own database only, a trigger that NOTIFYs each inserted decision
/// (PostgreSQL delivers a notification at commit, never before), and LISTENs. Latency = publish -> that notification.
/// </summary>
internal sealed class GatewayBench : IAsyncDisposable
{
    private const int ConfirmWindow = 200;
    private const string Channel = "bench_decided";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly BenchProcess _gateway;
    private readonly BenchProcess _providers;
    private readonly string _providersUrl;
    private readonly ThreadCpuSampler _jit;
    private readonly Dictionary<string, string?> _settings;
    private readonly string _connectionString;
    private readonly BenchServers _servers;
    private readonly string _virtualHost;
    private readonly string _profileFile;
    private readonly NpgsqlConnection _listener;
    private readonly CancellationTokenSource _listening = new();
    private readonly Task _listenLoop;
    private readonly ConcurrentDictionary<string, (long Ticks, DateTimeOffset Wall)> _publishedAt = new(StringComparer.Ordinal);
    private readonly LongConcurrentHistogram _latencyMicros = new(1, 600_000_000, 3);
    private readonly LongConcurrentHistogram _queuedMicros = new(1, 600_000_000, 3);
    private readonly LongConcurrentHistogram _decideMicros = new(1, 600_000_000, 3);
    private TaskCompletionSource _allCommitted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _committed;
    private int _expected;

    private GatewayBench(BenchProcess gateway, BenchProcess providers, string providersUrl, Dictionary<string, string?> settings, string connectionString,
        BenchServers servers, string virtualHost, string profileFile, NpgsqlConnection listener)
    {
        _gateway = gateway;
        _providers = providers;
        _providersUrl = providersUrl;
        _jit = new ThreadCpuSampler(gateway.Id, ".NET Tiered Com");
        _settings = settings;
        _connectionString = connectionString;
        _servers = servers;
        _virtualHost = virtualHost;
        _profileFile = profileFile;
        _listener = listener;
        listener.Notification += OnNotification;
        _listenLoop = Task.Run(ListenAsync);
    }

    public int GatewayProcessId => _gateway.Id;

    /// <summary>
    /// Starts the fake providers' process, then the gateway's (which migrates its fresh database), waits until it is
    /// ready, adds the commit trigger and seeds the clinics, patients and consents the intents name.
    /// </summary>
    public static async Task<GatewayBench> StartAsync(BenchServers servers, CancellationToken ct)
    {
        var connectionString = await servers.CreateDatabaseAsync(ct);
        var virtualHost = await servers.CreateVirtualHostAsync(ct);
        var providers = BenchProcess.Start(["fake-providers", "--port", "0", "--unthrottled"], new Dictionary<string, string?>(), waitFor: "listening on ");
        var line = await providers.WaitForLineAsync(TimeSpan.FromSeconds(60), ct);
        var providersUrl = line[(line.IndexOf("http", StringComparison.Ordinal))..].Trim();

        var profileFile = Path.Combine(Path.GetTempPath(), $"commsgw-bench-profile-{Guid.NewGuid():N}.json");
        var settings = servers.GatewaySettings(connectionString, virtualHost);
        var fake = new FakeProviderOptions();
        foreach (var (key, value) in new Dictionary<string, string?>
                 {
                     ["DOTNET_ENVIRONMENT"] = "Production",
                     ["ASPNETCORE_ENVIRONMENT"] = "Production",
                     ["SendGrid:ApiKey"] = fake.SendGridApiKey,
                     ["SendGrid:Host"] = providersUrl,
                     ["Twilio:AccountSid"] = fake.TwilioAccountSid,
                     ["Twilio:AuthToken"] = fake.TwilioAuthToken,
                     ["Twilio:BaseUrl"] = providersUrl,
                     ["FakeProviders:BaseUrl"] = providersUrl,
                     // Per-decision Information logs would dominate the profile; production ships them to a collector.
                     ["Logging:LogLevel:Default"] = "Warning",
                     ["Logging:LogLevel:CommsGateway.Observability.ProfileRecorder"] = "Information",
                     // Production refuses the committed development keys and an http PublicBaseUrl: a throwaway key per
                     // run, and an https address nothing ever calls.
                     ["Unsubscribe:ActiveKeyId"] = "bench",
                     ["Unsubscribe:Keys:0:Id"] = "bench",
                     ["Unsubscribe:Keys:0:Secret"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                     ["Unsubscribe:SubscriberKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                     ["Privacy:AddressHashKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                     ["Review:ContentKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                     ["Gateway:PublicBaseUrl"] = "https://bench.invalid",
                     ["Observability:ProfileFile"] = profileFile,
                 })
        {
            settings[key] = value;
        }

        var url = $"http://127.0.0.1:{FreePort().ToString(CultureInfo.InvariantCulture)}";
        BenchProcess? gateway = null;
        try
        {
            gateway = BenchProcess.Start(["run", "--urls", url], settings);
            await gateway.WaitReadyAsync(url + "/health/ready", TimeSpan.FromMinutes(3), ct);
            await BenchFixture.SeedAsync(connectionString, ct);
            var listener = new NpgsqlConnection(connectionString);
            await listener.OpenAsync(ct);
            await using (var trigger = new NpgsqlCommand($"""
                create function bench_decided() returns trigger language plpgsql as $$
                begin
                    perform pg_notify('{Channel}', new.intent_id || ' ' || (extract(epoch from new.decided_at) * 1000000)::bigint);
                    return null;
                end $$;
                create trigger bench_decided after insert on decisions for each row execute function bench_decided();
                listen {Channel};
                """, listener))
            {
                await trigger.ExecuteNonQueryAsync(ct);
            }

            return new GatewayBench(gateway, providers, providersUrl, settings, connectionString, servers, virtualHost, profileFile, listener);
        }
        catch
        {
            if (gateway is not null)
            {
                await gateway.DisposeAsync();
            }

            await providers.DisposeAsync();
            throw;
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task ListenAsync()
    {
        try
        {
            while (!_listening.IsCancellationRequested)
            {
                await _listener.WaitAsync(_listening.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var space = e.Payload.LastIndexOf(' ');
        if (space < 0 || !_publishedAt.TryRemove(e.Payload[..space], out var published))
        {
            return;
        }

        _latencyMicros.RecordValue(Math.Max(1, (long)Stopwatch.GetElapsedTime(published.Ticks).TotalMicroseconds));
        // decided_at is stamped when the pipeline starts on the intent: it splits the latency in two.
        var decidedAt = DateTimeOffset.UnixEpoch.AddTicks(long.Parse(e.Payload.AsSpan(space + 1), CultureInfo.InvariantCulture) * 10);
        _queuedMicros.RecordValue(Math.Clamp((long)(decidedAt - published.Wall).TotalMicroseconds, 1, 600_000_000));
        _decideMicros.RecordValue(Math.Clamp((long)(DateTimeOffset.UtcNow - decidedAt).TotalMicroseconds, 1, 600_000_000));
        if (Interlocked.Increment(ref _committed) == Volatile.Read(ref _expected))
        {
            _allCommitted.TrySetResult();
        }
    }

    /// <summary>Closed loop: publish N as fast as confirms allow while the gateway drains; the maximum rate.</summary>
    public Task<GatewayRun> RunClosedLoopAsync(int n, CancellationToken ct) => RunAsync(n, offeredRate: null, ct);

    /// <summary>Open loop: publish at a fixed rate; latency measured from each message's scheduled time.</summary>
    public Task<GatewayRun> RunOpenLoopAsync(int n, double offeredRate, CancellationToken ct) => RunAsync(n, offeredRate, ct);

    private async Task<GatewayRun> RunAsync(int n, double? offeredRate, CancellationToken ct)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var bodies = Enumerable.Range(0, n).Select(i => IntentMix.Create(run, i))
            .Select(intent => (intent.IntentId, Body: JsonSerializer.SerializeToUtf8Bytes(intent, Json))).ToArray();
        _latencyMicros.Reset();
        _queuedMicros.Reset();
        _decideMicros.Reset();
        _committed = 0;
        Volatile.Write(ref _expected, n);
        _allCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var factory = new ConnectionFactory
        {
            HostName = _servers.RabbitHost, Port = _servers.RabbitPort, VirtualHost = _virtualHost,
            UserName = _servers.RabbitUser, Password = _servers.RabbitPassword, ClientProvidedName = "commsgw-bench-producer",
        };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true,
            outstandingPublisherConfirmationsRateLimiter: new ThrottlingRateLimiter(ConfirmWindow)), ct);
        var queue = _settings.GetValueOrDefault("Gateway:IntentQueue") ?? new Hosting.GatewayOptions().IntentQueue;

        // Each process's peak from here on (VmHWM reset), and its CPU time.
        var peakReset = BenchProcess.ResetPeak(_gateway.Id) & BenchProcess.ResetPeak(Environment.ProcessId);
        var gatewayCpu = _gateway.CpuTime;
        var gatewayJit = _jit.CpuTime;
        var producerCpu = Environment.CpuUsage.TotalTime;
        var providersCpu = _providers.CpuTime;
        var host = HostCpu.Now();
        var pending = new List<ValueTask>(ConfirmWindow);
        var clock = Stopwatch.StartNew();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            long scheduled;
            if (offeredRate is { } rate)
            {
                scheduled = start + (long)(i / rate * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), scheduled);
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait, ct);
                }
            }
            else
            {
                scheduled = Stopwatch.GetTimestamp();
            }

            var (intentId, body) = bodies[i];
            _publishedAt[intentId] = (scheduled, DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(scheduled));
            var properties = new BasicProperties { ContentType = "application/json", Persistent = true, MessageId = intentId };
            pending.Add(channel.BasicPublishAsync("", queue, mandatory: false, properties, body, ct));
            // Confirms are awaited a window at a time, never one by one: in the open loop a producer stalled on
            // each confirm would fall behind its schedule and charge its own lag to the gateway.
            if (pending.Count == ConfirmWindow)
            {
                await DrainAsync(pending);
            }
        }

        await DrainAsync(pending);
        try
        {
            await _allCommitted.Task.WaitAsync(TimeSpan.FromMinutes(15), ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Volatile.Read(ref _committed)} of {n} decisions committed after 15 min; gateway output:\n{_gateway.Tail(40)}");
        }

        var elapsed = clock.Elapsed;
        var hostUse = HostCpu.Now() - host;
        var gatewayCpuMicros = (_gateway.CpuTime - gatewayCpu).TotalMicroseconds / n;
        var producerCpuMicros = (Environment.CpuUsage.TotalTime - producerCpu).TotalMicroseconds / n;
        var providersCpuMicros = (_providers.CpuTime - providersCpu).TotalMicroseconds / n;
        var gatewayPeak = _gateway.PeakWorkingSetMb;
        var producerPeak = BenchProcess.StatusMb(Environment.ProcessId, "VmHWM:");
        var outcomes = await BenchFixture.OutcomeMixAsync(_connectionString, IntentMix.Prefix(run), ct);
        return new GatewayRun(n, n / elapsed.TotalSeconds,
            _latencyMicros.GetValueAtPercentile(50) / 1000.0,
            _latencyMicros.GetValueAtPercentile(95) / 1000.0,
            _latencyMicros.GetValueAtPercentile(99) / 1000.0,
            gatewayCpuMicros, gatewayPeak, producerCpuMicros, producerPeak, providersCpuMicros, peakReset,
            string.Create(CultureInfo.InvariantCulture,
                $"publish -> pipeline start p50 {_queuedMicros.GetValueAtPercentile(50) / 1000.0:F1} ms / p99 {_queuedMicros.GetValueAtPercentile(99) / 1000.0:F1} ms; pipeline start -> committed p50 {_decideMicros.GetValueAtPercentile(50) / 1000.0:F1} ms / p99 {_decideMicros.GetValueAtPercentile(99) / 1000.0:F1} ms"),
            outcomes)
        {
            GatewayJitCpuMicrosPerDecision = (_jit.CpuTime - gatewayJit).TotalMicroseconds / n,
            Host = hostUse,
        };
    }

    /// <summary>
    /// Closed-loop rounds of <paramref name="round"/> intents until the gateway is warm: connection pools open, bindings
    /// made, and the runtime's background tier-1 JIT (which recompiles every hot method once, seconds of CPU on two
    /// cores) done with the hot paths, i.e. it took under 3 % of the gateway's CPU in the last round (after three rounds at least); at most
    /// <paramref name="maxRounds"/>. A long-running gateway pays that JIT once; the measured runs then show its steady state.
    /// </summary>
    public async Task<(int Intents, IReadOnlyList<double> JitShares)> WarmUpAsync(int round, int maxRounds, CancellationToken ct)
    {
        var shares = new List<double>();
        // At least three rounds (when allowed): the JIT starts promoting methods only after they ran a while, so the
        // first round can show little of it.
        while (shares.Count < maxRounds && (shares.Count < Math.Min(3, maxRounds) || shares[^1] >= 0.03))
        {
            var run = await RunClosedLoopAsync(round, ct);
            shares.Add(run.GatewayJitCpuMicrosPerDecision / Math.Max(1, run.GatewayCpuMicrosPerDecision));
        }

        return (round * shares.Count, shares);
    }

    /// <summary>
    /// An email campaign to <paramref name="recipients"/> patients of one clinic, all with a live email grant, queued by
    /// `commsgw campaign queue` (its own process, as an operator types it); timed until the fake SendGrid accepted a
    /// personalization for every one of them, with the number of SendGrid requests that carried them.
    /// </summary>
    public async Task<CampaignRun> RunCampaignAsync(int recipients, Action<string> say, CancellationToken ct)
    {
        const string tenant = "bench-campaign";
        await BenchFixture.SeedCampaignAsync(_connectionString, tenant, recipients, ct);
        var directory = Directory.CreateTempSubdirectory("commsgw-bench-campaign-");
        try
        {
            var template = Path.Combine(directory.FullName, "fr.liquid");
            await File.WriteAllTextAsync(template,
                "Bonjour {{ patient.first_name }},\n\n{{ clinic.name }} vous offre -20 % sur les peelings et les soins du visage jusqu'à la fin du mois.\nRéservez en ligne ou par téléphone.\n\nÀ bientôt,\nL'équipe de {{ clinic.name }}",
                ct);
            using var http = new HttpClient { BaseAddress = new Uri(_providersUrl + "/") };
            var before = await StatsAsync(http, ct);
            var peakReset = BenchProcess.ResetPeak(_gateway.Id);
            var gatewayCpu = _gateway.CpuTime;
            var providersCpu = _providers.CpuTime;
            var benchCpu = Environment.CpuUsage.TotalTime;
            var host = HostCpu.Now();
            var clock = Stopwatch.StartNew();
            await using var queue = BenchProcess.Start(
                ["campaign", "queue", "--tenant", tenant, "--name", "Bench peelings", "--channels", "email", "--template-fr-file", template,
                 "--subject-fr", "{{ patient.first_name }}, -20 % sur les peelings", "--consented-on", "email", "--yes"],
                _settings);
            var exit = await queue.ExitAsync(ct);
            var queued = clock.Elapsed;
            if (exit != 0)
            {
                throw new InvalidOperationException($"commsgw campaign queue exited {exit}:\n{queue.Tail(20)}");
            }

            say($"    queued in {queued.TotalSeconds:F1} s: {queue.OutputTail.LastOrDefault()}");
            var (accepted, requests) = (0L, 0L);
            var lastProgress = clock.Elapsed;
            while (true)
            {
                var now = await StatsAsync(http, ct);
                if (now.Accepted - before.Accepted != accepted)
                {
                    lastProgress = clock.Elapsed;
                }

                (accepted, requests) = (now.Accepted - before.Accepted, now.SendGridRequests - before.SendGridRequests);
                if (accepted >= recipients || clock.Elapsed - lastProgress > TimeSpan.FromSeconds(60))
                {
                    break;
                }

                await Task.Delay(50, ct);
            }

            var total = clock.Elapsed;
            var hostUse = HostCpu.Now() - host;
            var gatewayUse = _gateway.CpuTime - gatewayCpu;
            // The queue command has ended: its CPU is in this process's reaped-children time (the gateway and the fake
            // providers, children too, are still running and not in it).
            var cpu = new CampaignCpu(gatewayUse.TotalSeconds, hostUse.Broker.TotalSeconds, hostUse.Database.TotalSeconds,
                (_providers.CpuTime - providersCpu).TotalSeconds, hostUse.ReapedChildren.TotalSeconds,
                (Environment.CpuUsage.TotalTime - benchCpu).TotalSeconds, hostUse.Busy.TotalSeconds, Environment.ProcessorCount);
            return new CampaignRun(recipients, queued.TotalSeconds, total.TotalSeconds, accepted, requests,
                gatewayUse.TotalMicroseconds / Math.Max(1, accepted),
                peakReset ? _gateway.PeakWorkingSetMb : double.NaN, accepted >= recipients, cpu);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<(long Accepted, long SendGridRequests)> StatsAsync(HttpClient http, CancellationToken ct)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri("_fake/stats", UriKind.Relative), ct));
        return (json.RootElement.GetProperty("accepted").GetInt64(), json.RootElement.GetProperty("sendGridRequests").GetInt64());
    }

    private static async Task DrainAsync(List<ValueTask> pending)
    {
        foreach (var task in pending)
        {
            await task;
        }

        pending.Clear();
    }

    /// <summary>Stops the gateway gracefully (SIGTERM) and returns the profile it wrote, or null.</summary>
    public async Task<JsonElement?> StopAsync()
    {
        await _gateway.StopAsync(TimeSpan.FromSeconds(60));
        if (!File.Exists(_profileFile))
        {
            return null;
        }

        using var profile = JsonDocument.Parse(await File.ReadAllTextAsync(_profileFile));
        File.Delete(_profileFile);
        return profile.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Notification -= OnNotification;
        await _listening.CancelAsync();
        await _listenLoop;
        await _listener.DisposeAsync();
        await _jit.DisposeAsync();
        _listening.Dispose();
        await _gateway.StopAsync(TimeSpan.FromSeconds(30));
        await _gateway.DisposeAsync();
        await _providers.StopAsync(TimeSpan.FromSeconds(10));
        await _providers.DisposeAsync();
        if (File.Exists(_profileFile))
        {
            File.Delete(_profileFile);
        }
    }
}

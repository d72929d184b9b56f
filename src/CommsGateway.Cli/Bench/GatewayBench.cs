using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.FakeProviders;
using CommsGateway.Features.Intents;
using CommsGateway.Hosting;
using HdrHistogram;
using MassTransit;
using RabbitMQ.Client;

namespace CommsGateway.Cli.Bench;

internal sealed record GatewayRun(int N, double DecisionsPerSecond, double P50Ms, double P95Ms, double P99Ms, double PeakWorkingSetMb, string Stages, string Outcomes);

/// <summary>
/// The gateway in this process (GatewayHost.Build, the same application `commsgw run` hosts) on its own database
/// and vhost. A producer publishes plain-JSON intents to the intent queue with publisher confirms; a decision
/// counts when its row is committed (DecisionLog.Committed). Latency = publish -> committed, measured on one
/// clock because producer and gateway share the process; the publish time also travels in a header.
/// </summary>
internal sealed class GatewayBench : IAsyncDisposable
{
    internal const string PublishedAtHeader = "x-commsgw-published-at";
    private const int ConfirmWindow = 200;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly FakeProviderServer _providers;
    private readonly string _connectionString;
    private readonly BenchServers _servers;
    private readonly string _virtualHost;
    private readonly ConcurrentDictionary<string, (long Ticks, DateTimeOffset Wall)> _publishedAt = new(StringComparer.Ordinal);
    private readonly LongConcurrentHistogram _latencyMicros = new(1, 60_000_000, 3);
    private readonly LongConcurrentHistogram _queuedMicros = new(1, 60_000_000, 3);
    private readonly LongConcurrentHistogram _decideMicros = new(1, 60_000_000, 3);
    private TaskCompletionSource _allCommitted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _committed;
    private int _expected;

    private GatewayBench(WebApplication app, FakeProviderServer providers, string connectionString, BenchServers servers, string virtualHost)
    {
        _app = app;
        _providers = providers;
        _connectionString = connectionString;
        _servers = servers;
        _virtualHost = virtualHost;
        app.Services.GetRequiredService<DecisionLog>().Committed += OnCommitted;
    }

    private readonly IntentSpanTotals _spans = new();

    /// <summary>
    /// Starts the fake providers, the gateway (which migrates its fresh database), and seeds the clinics,
    /// patients and consents the intents name: the pipeline does every read and write it does in production.
    /// </summary>
    public static async Task<GatewayBench> StartAsync(BenchServers servers, CancellationToken ct)
    {
        var connectionString = await servers.CreateDatabaseAsync(ct);
        var virtualHost = await servers.CreateVirtualHostAsync(ct);
        var providers = await BenchFixture.StartProvidersAsync(ct);
        var settings = servers.GatewaySettings(connectionString, virtualHost);
        foreach (var (key, value) in BenchFixture.ProviderSettings(providers))
        {
            settings[key] = value;
        }

        // Per-decision Information logs to the console would dominate the profile; production ships them
        // to a collector asynchronously. Warnings still show.
        settings["Logging:LogLevel:Default"] = "Warning";
        // The bench runs as production does (no Development extras), which refuses the committed development keys
        // and an http PublicBaseUrl: a throwaway key per run, and an https address nothing ever calls.
        settings["Unsubscribe:ActiveKeyId"] = "bench";
        settings["Unsubscribe:Keys:0:Id"] = "bench";
        settings["Unsubscribe:Keys:0:Secret"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        settings["Unsubscribe:SubscriberKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        settings["Privacy:AddressHashKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        settings["Gateway:PublicBaseUrl"] = "https://bench.invalid";
        // Same configuration as `commsgw run` (appsettings next to the binary: unsubscribe keys ...), then the bench's own.
        var app = GatewayHost.Build(Commands.RunCommand.GatewayArgs("http://127.0.0.1:0"), builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        });
        await app.StartAsync(ct);
        await BenchFixture.SeedAsync(connectionString, ct);
        return new GatewayBench(app, providers, connectionString, servers, virtualHost);
    }

    private void OnCommitted(DecisionRecord record)
    {
        if (_publishedAt.TryRemove(record.IntentId, out var published))
        {
            _latencyMicros.RecordValue(Math.Clamp((long)Stopwatch.GetElapsedTime(published.Ticks).TotalMicroseconds, 1, 60_000_000));
            // decided_at is stamped when the pipeline starts on the intent: it splits the latency in two.
            var now = DateTimeOffset.UtcNow;
            _queuedMicros.RecordValue(Math.Clamp((long)(record.DecidedAt - published.Wall).TotalMicroseconds, 1, 60_000_000));
            _decideMicros.RecordValue(Math.Clamp((long)(now - record.DecidedAt).TotalMicroseconds, 1, 60_000_000));
            if (Interlocked.Increment(ref _committed) == Volatile.Read(ref _expected))
            {
                _allCommitted.TrySetResult();
            }
        }
    }

    /// <summary>The consumer's prefetch and concurrency as the gateway bound them (defaults or RabbitMq__* overrides).</summary>
    public RabbitMqOptions Rabbit => _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RabbitMqOptions>>().Value;

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
        _spans.Reset();
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
        var queue = _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayOptions>>().Value.IntentQueue;

        using var sampler = new WorkingSetSampler();
        var pending = new List<ValueTask>(ConfirmWindow);
        var clock = Stopwatch.StartNew();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            var scheduled = start;
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
            var properties = new BasicProperties
            {
                ContentType = "application/json", Persistent = true, MessageId = intentId,
                Headers = new Dictionary<string, object?> { [PublishedAtHeader] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
            };
            pending.Add(channel.BasicPublishAsync("", queue, mandatory: false, properties, body, ct));
            // Confirms are awaited a window at a time, never one by one: in the open loop a producer stalled on
            // each confirm would fall behind its schedule and charge its own lag to the gateway.
            if (pending.Count == ConfirmWindow)
            {
                await DrainAsync(pending);
            }
        }

        await DrainAsync(pending);
        await _allCommitted.Task.WaitAsync(TimeSpan.FromMinutes(10), ct);
        var elapsed = clock.Elapsed;
        // CPU of this process (gateway + producer + fake providers) per decision: unlike decisions/s, it barely
        // moves when other work loads the machine, so it compares code changes on a shared host.
        var cpuMicrosPerDecision = (Environment.CpuUsage.TotalTime - cpuBefore).TotalMicroseconds / n;
        var outcomes = await BenchFixture.OutcomeMixAsync(_connectionString, IntentMix.Prefix(run), ct);
        return new GatewayRun(n, n / elapsed.TotalSeconds,
            _latencyMicros.GetValueAtPercentile(50) / 1000.0,
            _latencyMicros.GetValueAtPercentile(95) / 1000.0,
            _latencyMicros.GetValueAtPercentile(99) / 1000.0,
            sampler.PeakBytes / 1024.0 / 1024.0,
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"process CPU {cpuMicrosPerDecision:F0} us/decision; publish -> pipeline start p50 {_queuedMicros.GetValueAtPercentile(50) / 1000.0:F1} ms / p99 {_queuedMicros.GetValueAtPercentile(99) / 1000.0:F1} ms; pipeline start -> committed p50 {_decideMicros.GetValueAtPercentile(50) / 1000.0:F1} ms / p99 {_decideMicros.GetValueAtPercentile(99) / 1000.0:F1} ms; spans (mean wall ms per span): {_spans}"),
            outcomes);
    }

    private static async Task DrainAsync(List<ValueTask> pending)
    {
        foreach (var task in pending)
        {
            await task;
        }

        pending.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        _app.Services.GetRequiredService<DecisionLog>().Committed -= OnCommitted;
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        await _providers.DisposeAsync();
        _spans.Dispose();
    }
}

/// <summary>Samples the process working set every 50 ms (the gateway and the producer share it).</summary>
internal sealed class WorkingSetSampler : IDisposable
{
    private readonly Timer _timer;
    private long _peak;

    public WorkingSetSampler()
    {
        _peak = Environment.WorkingSet;
        _timer = new Timer(_ => Sample(), null, 0, 50);
    }

    public long PeakBytes
    {
        get
        {
            Sample();
            return Interlocked.Read(ref _peak);
        }
    }

    private void Sample()
    {
        var now = Environment.WorkingSet;
        long seen;
        while (now > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, seen) != seen)
        {
        }
    }

    public void Dispose() => _timer.Dispose();
}

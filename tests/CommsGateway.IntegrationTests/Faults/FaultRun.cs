using System.Diagnostics;
using System.Text;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace CommsGateway.IntegrationTests.Faults;

/// <summary>Where a fault run's gateways connect.</summary>
internal sealed record FaultEnvironment(string ConnectionString, string RabbitHost, int RabbitPort, string RabbitVirtualHost, string RabbitUser, string RabbitPassword)
{
    /// <summary>"host:port" of each node of a cluster, tried in order by the gateways and the producer; empty = one node.</summary>
    public IReadOnlyList<string> ClusterNodes { get; init; } = [];

    public IList<AmqpTcpEndpoint> Endpoints() => ClusterNodes.Count == 0
        ? [new AmqpTcpEndpoint(RabbitHost, RabbitPort)]
        : [.. ClusterNodes.Select(n => CommsGateway.Hosting.RabbitMqTopology.ParseNode(n, RabbitPort))];
}

/// <summary>What a fault run measured: the figures the README quotes.</summary>
internal sealed record FaultFigures(int Intents, int Decided, int IntentsWithTwoDecisions, int SentTwice, int Lost, int Sent, int Failed,
    int ReachedProvider, long ProviderCalls, long InjectedFaults, int ErrorQueue, TimeSpan Duration);

/// <summary>
/// One fault scenario: gateway instance(s) on the given servers and a fake provider, a producer publishing
/// N intents as plain JSON with publisher confirms (republishing whatever was unconfirmed when the broker
/// went away, as a real producer must), a chaos action in the middle, then the three invariants.
/// </summary>
internal sealed class FaultRun : IAsyncDisposable
{
    private const string Queue = "commsgw-intents";
    private readonly List<WebApplicationFactory<Program>> _gateways = [];
    private readonly List<GatewayProcess> _processes = [];
    private static readonly TimeSpan ProcessReadyTimeout = TimeSpan.FromSeconds(90);
    private readonly CancellationTokenSource _supervising = new();
    private Task _supervisor = Task.CompletedTask;
    private readonly FaultEnvironment _env;
    private readonly ITestOutputHelper _output;

    private FaultRun(FaultEnvironment env, FakeProviderServer fake, ITestOutputHelper output)
    {
        _env = env;
        Fake = fake;
        _output = output;
    }

    public FakeProviderServer Fake { get; }

    /// <summary>The gateways' warnings and errors (MassTransit's included), printed when an invariant fails.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    public string Tenant { get; } = "fault-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>
    /// <paramref name="instances"/> gateways in this test process, then <paramref name="processes"/> more in their own
    /// OS processes (the real CLI, <see cref="GatewayProcess"/>), each ready before anything is published.
    /// </summary>
    public static async Task<FaultRun> StartAsync(FaultEnvironment env, ITestOutputHelper output, int instances = 1, FakeProviderOptions? fakeOptions = null,
        int processes = 0)
    {
        var fake = await FakeProviderServer.StartAsync(fakeOptions);
        var run = new FaultRun(env, fake, output);
        try
        {
            for (var i = 0; i < instances; i++)
            {
                run._gateways.Add(run.NewGateway(i));
            }

            for (var i = 0; i < processes; i++)
            {
                run._processes.Add(await run.NewProcessAsync());
            }
        }
        catch
        {
            await run.DisposeAsync(); // no child process may outlive a failed start
            throw;
        }

        run._supervisor = run.SuperviseAsync(run._supervising.Token);
        return run;
    }

    /// <summary>How many times a gateway stopped itself (consumer watchdog) and was started again.</summary>
    public int Restarts { get; private set; }

    /// <summary>
    /// Plays the process supervisor (systemd, Docker's restart policy, Kubernetes): a gateway that stopped itself,
    /// as the consumer watchdog does when MassTransit leaves the intent queue without a consumer, is started again.
    /// </summary>
    private async Task SuperviseAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(500, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            for (var i = 0; i < _gateways.Count && !ct.IsCancellationRequested; i++)
            {
                if (!_gateways[i].Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
                {
                    continue;
                }

                _output.WriteLine($"gateway {i} stopped itself (exit code {Environment.ExitCode}); started again as its supervisor would");
                Environment.ExitCode = 0; // the exit code was meant for the gateway's supervisor, not for the test host
                Restarts++;
                var stopped = _gateways[i];
                _gateways[i] = NewGateway(i);
                await stopped.DisposeAsync();
            }

            for (var i = 0; i < _processes.Count && !ct.IsCancellationRequested; i++)
            {
                if (!_processes[i].HasExited)
                {
                    // Kept up to date so that a process's decisions still count after it exits (its /metrics goes with it).
                    _processDecided[i] = await TryDecidedAsync(_processes[i]) ?? _processDecided[i];
                    continue;
                }

                var exited = _processes[i];
                _output.WriteLine($"gateway process {exited.ProcessId} exited {exited.ExitCode}; started again as its supervisor would");
                Restarts++;
                _processDecidedBefore[i] += _processDecided[i];
                _processDecided[i] = 0;
                await exited.DisposeAsync();
                try
                {
                    _processes[i] = await NewProcessAsync();
                }
                catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
                {
                    _output.WriteLine($"gateway process did not start again ({ex.Message}); trying again"); // the exited one stays in its slot
                }
            }
        }
    }

    /// <summary>
    /// Decisions each gateway committed: the in-process slots first (counted where the row is committed), then the
    /// child processes (their own /metrics, commsgw_decisions_total). A restarted gateway keeps counting in its slot.
    /// </summary>
    public async Task<IReadOnlyList<long>> DecidedPerInstanceAsync(long settledTotal = 0)
    {
        var counts = await ScrapeDecidedPerInstanceAsync();
        // The Prometheus exporter serves a cached scrape for a moment: a child's last decisions may show on the next one.
        for (var scrape = 0; scrape < 20 && _processes.Count > 0 && counts.Sum() < settledTotal; scrape++)
        {
            await Task.Delay(250);
            counts = await ScrapeDecidedPerInstanceAsync();
        }

        return counts;
    }

    private async Task<List<long>> ScrapeDecidedPerInstanceAsync()
    {
        var counts = Enumerable.Range(0, _gateways.Count).Select(i => Interlocked.Read(ref _decidedBy[i])).ToList();
        for (var i = 0; i < _processes.Count; i++)
        {
            counts.Add(_processDecidedBefore[i] + (await TryDecidedAsync(_processes[i]) ?? _processDecided[i]));
        }

        return counts;
    }

    /// <summary>The output tail of each child process, printed when an invariant fails.</summary>
    public void PrintProcessOutput(int lines)
    {
        foreach (var process in _processes)
        {
            _output.WriteLine($"--- gateway process {process.ProcessId} (port {process.Port}{(process.HasExited ? $", exited {process.ExitCode}" : "")}), last {lines} lines:");
            foreach (var line in process.OutputTail.TakeLast(lines))
            {
                _output.WriteLine("process: " + (line.Length > 600 ? line[..600] + " …" : line));
            }
        }
    }

    private static async Task<long?> TryDecidedAsync(GatewayProcess process)
    {
        try
        {
            return process.HasExited ? null : await process.DecidedAsync();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private readonly long[] _decidedBy = new long[8];
    private readonly long[] _processDecided = new long[8];
    private readonly long[] _processDecidedBefore = new long[8];

    /// <summary>
    /// kill -9 of child process <paramref name="slot"/>; the supervisor loop starts it again. Returns the dispatches the
    /// crash left claimed but unsettled ("dispatching"): the sends it interrupted.
    /// </summary>
    public async Task<long> KillProcessAsync(int slot)
    {
        await _processes[slot].KillAsync();
        await using var connection = new NpgsqlConnection(_env.ConnectionString);
        await connection.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(
            "select count(*) from dispatches where tenant_id = @Tenant and status = 'dispatching'", new { Tenant });
    }

    /// <summary>Dispatches resumed after a crash: taken over and sent by a redelivery (attempts > 1), or found at the provider.</summary>
    public async Task<(long TakenOver, long FoundAtProvider)> ResumedAsync()
    {
        await using var connection = new NpgsqlConnection(_env.ConnectionString);
        await connection.OpenAsync();
        return await connection.QuerySingleAsync<(long, long)>(
            "select count(*) filter (where attempts > 1), count(*) filter (where error_detail like 'resumed:%') from dispatches where tenant_id = @Tenant",
            new { Tenant });
    }

    private Task<GatewayProcess> NewProcessAsync() => GatewayProcess.StartAsync(Settings(), ProcessReadyTimeout);

    /// <summary>What every gateway of the run reads, in-process (configuration) or child process (environment variables).</summary>
    private Dictionary<string, string?> Settings()
    {
        var settings = FakeProviderSettings.For(Fake);
        settings["Database:ConnectionString"] = _env.ConnectionString;
        settings["RabbitMq:Host"] = _env.RabbitHost;
        settings["RabbitMq:Port"] = PrivateServers.Invariant(_env.RabbitPort);
        settings["RabbitMq:VirtualHost"] = _env.RabbitVirtualHost;
        settings["RabbitMq:Username"] = _env.RabbitUser;
        settings["RabbitMq:Password"] = _env.RabbitPassword;
        for (var i = 0; i < _env.ClusterNodes.Count; i++)
        {
            settings[$"RabbitMq:ClusterNodes:{PrivateServers.Invariant(i)}"] = _env.ClusterNodes[i];
        }

        // Below the production defaults (60 s per send, 300 s before the reconciler settles a claim), yet above what a
        // send refused four times needs (about 8 s of backoff) plus the breaker's 5 s breaks it may wait out: after a
        // crash the resumed sends are mostly the refused ones, so their failures open the breaker for a while.
        settings["Reconciler:SettleAfterSeconds"] = "45";
        settings["SendGrid:TotalTimeoutSeconds"] = "30";
        settings["Twilio:TotalTimeoutSeconds"] = "30";
        settings["Logging:LogLevel:Default"] = "Warning";
        // Captured (and printed only when an invariant fails): the gateway's warnings, MassTransit's, the watchdog's probes.
        settings["Logging:LogLevel:CommsGateway"] = "Warning";
        settings["Logging:LogLevel:CommsGateway.Features.Intents.IntentConsumerWatchdog"] = "Debug";
        settings["Logging:LogLevel:MassTransit"] = Environment.GetEnvironmentVariable("COMMSGW_FAULT_MT_LOG") ?? "Warning";
        return settings;
    }

    private WebApplicationFactory<Program> NewGateway(int slot)
    {
        var settings = Settings();
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
            web.ConfigureTestServices(services => services.AddSingleton<ILoggerProvider>(Logs));
        });
        _ = factory.Server;
        // Counted where the row is committed: that instance consumed the intent.
        factory.Services.GetRequiredService<CommsGateway.Features.Intents.DecisionLog>().Committed += _ => Interlocked.Increment(ref _decidedBy[slot]);
        return factory;
    }

    /// <summary>2,000 intents, mostly email, a share of SMS from the short code (token bucket 100/s).</summary>
    /// <summary>
    /// Puts the clinic and its patients on record (the addresses the intents name), as the booking system would:
    /// the gateway sends only to addresses on record. Retries while the first gateway is still migrating.
    /// </summary>
    public async Task<IReadOnlyList<(string IntentId, byte[] Body)>> SeededIntentsAsync(int count)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_env.ConnectionString);
                await connection.OpenAsync();
                await connection.ExecuteAsync("insert into tenants (tenant_id, name) values (@Tenant, 'Fault clinic') on conflict do nothing", new { Tenant });
                await TestSenders.StoreAsync(connection, Tenant);
                await connection.ExecuteAsync("""
                    insert into contacts (tenant_id, patient_id, email, phone_e164, locale, time_zone, updated_by)
                    select @Tenant, 'p-' || i, 'p' || i || '@example.org', '+3361' || lpad(i::text, 7, '0'), 'fr', 'Europe/Paris', 'fault-suite'
                    from generate_series(0, @last) as i
                    on conflict do nothing
                    """, new { Tenant, last = count - 1 });
                return Intents(count);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable && attempt < 100)
            {
                await Task.Delay(200);
            }
        }
    }

    public IReadOnlyList<(string IntentId, byte[] Body)> Intents(int count) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var id = $"{Tenant}-{i:D5}";
            var sms = i % 20 == 0;
            var json = sms
                ? $$"""{"intentId":"{{id}}","tenantId":"{{Tenant}}","producer":"fault","patientId":"p-{{i}}","channel":"sms","declaredPurpose":"service","category":"appointment_reminder","to":"+3361{{i:D7}}","body":"Rappel : RDV demain 10h30."}"""
                : $$"""{"intentId":"{{id}}","tenantId":"{{Tenant}}","producer":"fault","patientId":"p-{{i}}","channel":"email","declaredPurpose":"service","category":"appointment_reminder","to":"p{{i}}@example.org","subject":"Your appointment","body":"Reminder: your appointment is tomorrow at 10:30."}""";
            return (id, Encoding.UTF8.GetBytes(json));
        }).ToList();

    /// <summary>
    /// Waits until every gateway instance consumes the intent queue. MassTransit starts its bus in the background,
    /// and a message published to the default exchange before the queue exists is silently dropped by the broker.
    /// </summary>
    public async Task WaitForConsumersAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        uint consumers = 0;
        while (DateTime.UtcNow < deadline)
        {
            (_, consumers) = await QueueStateAsync();
            if (consumers >= _gateways.Count + _processes.Count)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{consumers} of {_gateways.Count + _processes.Count} gateway(s) consuming after {timeout}");
    }

    private int _published;

    /// <summary>Intents the producer has had confirmed so far.</summary>
    public int Published => Volatile.Read(ref _published);

    /// <summary>Publishes in paced batches of 50 with confirms; a batch interrupted by a broker failure is published again.</summary>
    public async Task PublishAsync(IReadOnlyList<(string IntentId, byte[] Body)> intents, TimeSpan pause, CancellationToken ct)
    {
        await WaitForConsumersAsync(TimeSpan.FromSeconds(60));
        var factory = new ConnectionFactory
        {
            HostName = _env.RabbitHost, Port = _env.RabbitPort, VirtualHost = _env.RabbitVirtualHost,
            UserName = _env.RabbitUser, Password = _env.RabbitPassword, AutomaticRecoveryEnabled = false,
        };
        var next = 0;
        var failures = 0;
        while (next < intents.Count)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync(_env.Endpoints(), ct);
                await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
                while (next < intents.Count)
                {
                    var batch = intents.Skip(next).Take(50).ToList();
                    await Task.WhenAll(batch.Select(m => channel.BasicPublishAsync("", Queue, mandatory: false,
                        new BasicProperties { ContentType = "application/json", Persistent = true, MessageId = m.IntentId }, m.Body, ct).AsTask()));
                    next += batch.Count;
                    Volatile.Write(ref _published, next);
                    await Task.Delay(pause, ct);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (failures++ < 3)
                {
                    _output.WriteLine($"producer: {ex.GetType().Name} at {next}: {ex.Message}");
                }

                await Task.Delay(500, ct);
            }
        }

        _output.WriteLine($"producer: {intents.Count} published, {failures} broker error(s), each unconfirmed batch published again");
    }

    public async Task<int> DecidedCountAsync()
    {
        await using var connection = new NpgsqlConnection(_env.ConnectionString);
        await connection.OpenAsync();
        return await connection.ExecuteScalarAsync<int>("select count(*) from decisions where tenant_id = @Tenant", new { Tenant });
    }

    /// <summary>Decisions of intents at or after <paramref name="intentId"/> in publishing order (the ids are zero-padded).</summary>
    public async Task<int> DecidedSinceAsync(string intentId)
    {
        await using var connection = new NpgsqlConnection(_env.ConnectionString);
        await connection.OpenAsync();
        return await connection.ExecuteScalarAsync<int>(
            "select count(*) from decisions where tenant_id = @Tenant and intent_id collate \"C\" >= @intentId", new { Tenant, intentId });
    }

    public async Task WaitForDecisionsAsync(int atLeast, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await DecidedCountAsync() >= atLeast)
                {
                    return;
                }
            }
            catch (NpgsqlException)
            {
                // database briefly down: keep waiting
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until every intent is decided and no dispatch is left "dispatching" (the reconciler settles those).</summary>
    public async Task SettleAsync(int intents, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var polls = 0;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_env.ConnectionString);
                await connection.OpenAsync();
                var (decided, dispatching) = await connection.QuerySingleAsync<(long, long)>("""
                    select (select count(distinct intent_id) from decisions where tenant_id = @Tenant),
                           (select count(*) from dispatches where tenant_id = @Tenant and status = 'dispatching')
                    """, new { Tenant });
                if (decided >= intents && dispatching == 0)
                {
                    return;
                }

                if (++polls % 20 == 0)
                {
                    var (ready, consumers) = await QueueStateAsync();
                    _output.WriteLine($"settling: {decided} decided, {dispatching} dispatching, queue {ready} ready, {consumers} consumer(s)");
                }
            }
            catch (NpgsqlException)
            {
                // keep waiting
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Measures and asserts: one decision per intent, nothing sent twice, nothing lost, no undecided error-queue message.</summary>
    /// <param name="exactlyOnce">Every decision to send must have reached the provider exactly once: a dispatch marked
    /// failed or unknown without a provider message counts as dropped (no fault here excuses one).</param>
    public async Task<FaultFigures> AssertInvariantsAsync(IReadOnlyList<(string IntentId, byte[] Body)> intents, Stopwatch clock, bool exactlyOnce = false)
    {
        await using var connection = new NpgsqlConnection(_env.ConnectionString);
        await connection.OpenAsync();
        var decisions = (await connection.QueryAsync<(string IntentId, long Count)>(
            "select intent_id, count(*) from decisions where tenant_id = @Tenant and outcome <> 'Deferred' group by intent_id", new { Tenant }))
            .ToDictionary(r => r.IntentId, r => r.Count);
        var dispatches = (await connection.QueryAsync<(string IntentId, string Status)>(
            "select intent_id, status from dispatches where tenant_id = @Tenant", new { Tenant })).ToDictionary(r => r.IntentId, r => r.Status);
        var outcomes = (await connection.QueryAsync<(string IntentId, string Outcome)>(
            "select intent_id, outcome from decisions where tenant_id = @Tenant", new { Tenant })).ToList();
        var accepted = Fake.AcceptedPerIntent;
        var published = intents.Select(i => i.IntentId).ToHashSet(StringComparer.Ordinal);

        var undecided = published.Where(id => !decisions.ContainsKey(id)).ToList();
        var twoDecisions = decisions.Count(d => d.Value > 1);
        var sentTwice = accepted.Where(a => published.Contains(a.Key) && a.Value > 1).Select(a => a.Key).ToList();
        // Lost: no decision at all, or a decision to send whose message never reached the provider and is not marked failed.
        var sendOutcomes = outcomes.Where(o => o.Outcome is "Sent" or "SentWithMarketingRemoved").Select(o => o.IntentId).ToList();
        var lostSends = sendOutcomes.Where(id => !accepted.ContainsKey(id) && (exactlyOnce || dispatches.GetValueOrDefault(id) is not "failed" and not "unknown")).ToList();
        var failed = dispatches.Where(d => d.Value is "failed" or "unknown").Select(d => d.Key)
            .Union(outcomes.Where(o => o.Outcome == "Failed").Select(o => o.IntentId)).Count();
        var errorQueue = await ErrorQueueDepthAsync();
        var inErrorQueue = await ErrorQueueIntentIdsAsync();
        // Issue 6: no message in an error queue without a decision explaining it (unreadable ones count as unexplained).
        var unexplained = inErrorQueue.Where(id => id is null || !decisions.ContainsKey(id)).Select(id => id ?? "(no intentId)").ToList();
        var failureReasons = (await connection.QueryAsync<string>("""
            select coalesce(p.error_code, d.reasons[array_length(d.reasons, 1)]) || ': ' || coalesce(p.error_detail, array_to_string(d.details, '; '))
            from decisions d left join dispatches p on p.decision_id = d.decision_id
            where d.tenant_id = @Tenant and (d.outcome = 'Failed' or p.status in ('failed', 'unknown'))
            """, new { Tenant })).ToList();
        foreach (var reason in failureReasons.Take(5))
        {
            _output.WriteLine("failed: " + reason);
        }

        var figures = new FaultFigures(intents.Count, decisions.Count, twoDecisions, sentTwice.Count, undecided.Count + lostSends.Count,
            dispatches.Count(d => d.Value == "sent"), failed, accepted.Count(a => published.Contains(a.Key)), Fake.Calls, Fake.InjectedFaults,
            (int)errorQueue, clock.Elapsed);
        _output.WriteLine(
            $"intents {figures.Intents}, decided {figures.Decided}, two decisions {figures.IntentsWithTwoDecisions}, sent twice {figures.SentTwice}, " +
            $"lost {figures.Lost}, sent {figures.Sent}, failed {figures.Failed}, reached provider {figures.ReachedProvider}, provider calls {figures.ProviderCalls}, " +
            $"injected faults {figures.InjectedFaults}, error queue {figures.ErrorQueue} ({unexplained.Count} without a decision), " +
            $"decided per instance {string.Join('/', await DecidedPerInstanceAsync(decisions.Count))}, duration {figures.Duration.TotalSeconds:F1} s");

        var notToSend = decisions.Keys.Except(sendOutcomes).Count(id => accepted.ContainsKey(id));
        if (exactlyOnce)
        {
            // Per decision: a decision to send yields one provider message, any other decision none.
            _output.WriteLine($"published {intents.Count}, decided {decisions.Count} ({sendOutcomes.Count} to send), " +
                $"provider messages {accepted.Where(a => published.Contains(a.Key)).Sum(a => a.Value)}, duplicates {sentTwice.Count}, " +
                $"dropped {lostSends.Count}, sent without a decision to send {notToSend}");
        }

        if (undecided.Count > 0 || lostSends.Count > 0 || sentTwice.Count > 0 || twoDecisions > 0 || unexplained.Count > 0)
        {
            foreach (var entry in Logs.Entries.TakeLast(60))
            {
                _output.WriteLine("log: " + (entry.Length > 600 ? entry[..600] + " …" : entry));
            }

            PrintProcessOutput(60);
        }

        Assert.Empty(undecided);
        // Every intent is a valid service message to an address on record: each must be decided to send.
        Assert.Equal(intents.Count, sendOutcomes.Count);
        Assert.Equal(0, twoDecisions);
        Assert.Empty(sentTwice);
        Assert.Empty(lostSends);
        Assert.Empty(unexplained);
        Assert.True(!exactlyOnce || notToSend == 0, $"{notToSend} message(s) sent without a decision to send");
        return figures;
    }

    /// <summary>Consumers on the intent queue as the broker reports them (0 when it cannot answer).</summary>
    public async Task<uint> ConsumersAsync() => (await QueueStateAsync()).Consumers;

    private async Task<(uint Ready, uint Consumers)> QueueStateAsync()
    {
        try
        {
            var factory = new ConnectionFactory
            {
                HostName = _env.RabbitHost, Port = _env.RabbitPort, VirtualHost = _env.RabbitVirtualHost,
                UserName = _env.RabbitUser, Password = _env.RabbitPassword,
            };
            await using var connection = await factory.CreateConnectionAsync(_env.Endpoints());
            await using var channel = await connection.CreateChannelAsync();
            var ok = await channel.QueueDeclarePassiveAsync(Queue);
            return (ok.MessageCount, ok.ConsumerCount);
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.OperationInterruptedException or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
        {
            return (0, 0);
        }
    }

    private async Task<uint> ErrorQueueDepthAsync()
    {
        var factory = new ConnectionFactory
        {
            HostName = _env.RabbitHost, Port = _env.RabbitPort, VirtualHost = _env.RabbitVirtualHost,
            UserName = _env.RabbitUser, Password = _env.RabbitPassword,
        };
        await using var connection = await factory.CreateConnectionAsync(_env.Endpoints());
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(Queue + "_error")).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // never created: nothing ever faulted
        }
    }

    /// <summary>
    /// The intentId of every message in the error queue, read without taking them (never acknowledged: closing the
    /// channel puts them back). Null for a message whose body names no intent.
    /// </summary>
    private async Task<IReadOnlyList<string?>> ErrorQueueIntentIdsAsync()
    {
        var factory = new ConnectionFactory
        {
            HostName = _env.RabbitHost, Port = _env.RabbitPort, VirtualHost = _env.RabbitVirtualHost,
            UserName = _env.RabbitUser, Password = _env.RabbitPassword,
        };
        await using var connection = await factory.CreateConnectionAsync(_env.Endpoints());
        await using var channel = await connection.CreateChannelAsync();
        var ids = new List<string?>();
        try
        {
            while (await channel.BasicGetAsync(Queue + "_error", autoAck: false) is { } message)
            {
                ids.Add(IntentIdOf(message.Body));
            }
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // never created: nothing ever faulted
        }

        return ids;
    }

    /// <summary>The raw JSON a producer published, or MassTransit's envelope around it.</summary>
    private static string? IntentIdOf(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty("message", out var inner)
                && inner.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                root = inner;
            }

            return root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty("intentId", out var id)
                && id.ValueKind == System.Text.Json.JsonValueKind.String ? id.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _supervising.CancelAsync();
        try
        {
            await _supervisor;
        }
        finally
        {
            // Killed whatever happened before: a child process must never outlive its test.
            foreach (var process in _processes)
            {
                await process.DisposeAsync();
            }
        }

        _supervising.Dispose();

        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        await Fake.DisposeAsync();
    }
}

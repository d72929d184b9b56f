using CommsGateway.Features.Intents;
using CommsGateway.Hosting;
using CommsGateway.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace CommsGateway.IntegrationTests.Features.Intents;

/// <summary>
/// The consumer watchdog against a real RabbitMQ queue: intents waiting with no consumer make it restart the bus,
/// then, still stalled, stop the gateway with exit code 75 for its supervisor; a consumed queue leaves it quiet.
/// The bus is MassTransit's in-memory one: only its stop/start is used here.
/// </summary>
[Collection(WatchdogCollection.Name)]
public sealed class ConsumerWatchdogTests
{
    [Fact]
    public async Task Should_restart_the_bus_then_stop_the_gateway_when_intents_wait_with_no_consumer()
    {
        await using var servers = await TestServers.StartAsync();
        var queue = "stalled-" + Guid.NewGuid().ToString("N")[..8];
        await using var connection = await Factory(servers).CreateConnectionAsync();
        await using var channel = await QueueWithThreeIntentsAsync(connection, queue);

        var (lifetime, logs) = await RunWatchdogAsync(servers, queue, TimeSpan.FromSeconds(20));

        try
        {
            Assert.True(lifetime.StopRequested, "the watchdog should have stopped the gateway");
            Assert.Equal(IntentConsumerWatchdog.StalledExitCode, Environment.ExitCode);
        }
        finally
        {
            Environment.ExitCode = 0; // meant for the gateway's supervisor, not for the test host
        }

        var restart = logs.Entries.ToList().FindIndex(e => e.Contains("restarting the bus", StringComparison.Ordinal));
        var stop = logs.Entries.ToList().FindIndex(e => e.Contains("stopping the gateway (exit code 75)", StringComparison.Ordinal));
        Assert.True(restart >= 0 && stop > restart, "a bus restart comes first, the stop only when it did not help:\n" + string.Join('\n', logs.Entries));
    }

    [Fact]
    public async Task Should_leave_the_gateway_running_while_the_queue_has_a_consumer()
    {
        await using var servers = await TestServers.StartAsync();
        var queue = "consumed-" + Guid.NewGuid().ToString("N")[..8];
        await using var connection = await Factory(servers).CreateConnectionAsync();
        await using var channel = await QueueWithThreeIntentsAsync(connection, queue);
        await channel.BasicQosAsync(0, 1, false);

        // A consumer that takes one message and never acknowledges it: the rest stay ready, but someone is consuming.
        await channel.BasicConsumeAsync(queue, autoAck: false, new RabbitMQ.Client.Events.AsyncEventingBasicConsumer(channel));

        var (lifetime, logs) = await RunWatchdogAsync(servers, queue, TimeSpan.FromSeconds(4));

        Assert.False(lifetime.StopRequested, string.Join('\n', logs.Entries));
        Assert.DoesNotContain(logs.Entries, e => e.Contains("restarting the bus", StringComparison.Ordinal));
    }

    private static async Task<(RecordingLifetime Lifetime, CapturingLoggerProvider Logs)> RunWatchdogAsync(
        TestServers servers, string queue, TimeSpan atMost)
    {
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        var bus = Bus.Factory.CreateUsingInMemory(_ => { });
        await bus.StartAsync();
        var lifetime = new RecordingLifetime();
        var rabbit = new RabbitMqOptions
        {
            Host = servers.RabbitHost, Port = servers.RabbitPort, VirtualHost = servers.RabbitVirtualHost,
            Username = servers.RabbitUser, Password = servers.RabbitPassword,
        };
        using var watchdog = new IntentConsumerWatchdog(bus, Options.Create(rabbit),
            Options.Create(new GatewayOptions { IntentQueue = queue, ConsumerWatchdogSeconds = 1 }),
            TimeProvider.System, lifetime, loggers.CreateLogger<IntentConsumerWatchdog>());
        await watchdog.StartAsync(CancellationToken.None);
        await Task.WhenAny(lifetime.Stopping, Task.Delay(atMost));
        await watchdog.StopAsync(CancellationToken.None);
        await bus.StopAsync();
        return (lifetime, logs);
    }

    private static async Task<IChannel> QueueWithThreeIntentsAsync(IConnection connection, string queue)
    {
        var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        for (var i = 0; i < 3; i++)
        {
            await channel.BasicPublishAsync("", queue, "{}"u8.ToArray());
        }

        return channel;
    }

    private static ConnectionFactory Factory(TestServers servers) => new()
    {
        HostName = servers.RabbitHost, Port = servers.RabbitPort, VirtualHost = servers.RabbitVirtualHost,
        UserName = servers.RabbitUser, Password = servers.RabbitPassword,
    };

    private sealed class RecordingLifetime : IHostApplicationLifetime
    {
        private readonly TaskCompletionSource _stopping = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool StopRequested => _stopping.Task.IsCompleted;

        public Task Stopping => _stopping.Task;

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.TrySetResult();
    }
}

/// <summary>The watchdog tests set the process exit code: never in parallel with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WatchdogCollection
{
    public const string Name = "watchdog";
}

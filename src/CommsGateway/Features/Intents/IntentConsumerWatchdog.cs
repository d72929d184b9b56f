using CommsGateway.Hosting;
using MassTransit;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace CommsGateway.Features.Intents;

/// <summary>
/// Self-healing for a known MassTransit/RabbitMQ failure: after a broker restart the consumer is sometimes not
/// re-established (seen here in about one fault-suite run in two; MassTransit issue #5692 reports the same), so
/// intents wait in the queue with nobody consuming them. Nothing is lost, but nothing is decided either. The
/// watchdog looks at the intent queue as RabbitMQ sees it; when messages are ready and no consumer is attached
/// for <see cref="GatewayOptions.ConsumerWatchdogSeconds"/>, it restarts the bus (MassTransit 8 supports
/// stop/start), which re-creates the receive endpoint. A restart does not always help (the host can stay
/// "already started" with its dead endpoint), so when the queue is still stalled one period later the gateway
/// stops itself with exit code <see cref="StalledExitCode"/> for its supervisor (systemd, Docker's restart
/// policy, Kubernetes) to start it afresh: unacknowledged intents go back to the queue, and deduplication on
/// IntentId makes their redelivery harmless. Readiness stays honest meanwhile: the bus health check.
/// </summary>
internal sealed class IntentConsumerWatchdog(
    IBusControl bus,
    IOptions<RabbitMqOptions> rabbitOptions,
    IOptions<GatewayOptions> gatewayOptions,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<IntentConsumerWatchdog> logger) : BackgroundService
{
    /// <summary>EX_TEMPFAIL: a temporary failure, start me again.</summary>
    public const int StalledExitCode = 75;

    private static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(5);
    private IConnection? connection;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var limit = TimeSpan.FromSeconds(gatewayOptions.Value.ConsumerWatchdogSeconds);
        if (limit <= TimeSpan.Zero)
        {
            return;
        }

        // Several probes per period, so a stall is seen within about one period of its start.
        var interval = TimeSpan.FromTicks(Math.Min(MaxInterval.Ticks, limit.Ticks / 3));
        var queue = gatewayOptions.Value.IntentQueue;
        DateTimeOffset? stalledSince = null;
        var restarted = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(interval, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                var state = await ProbeAsync(queue, stoppingToken);
                logger.LogDebug("Watchdog probe of {Queue}: {State}", queue, state);
                if (state is not { Ready: > 0, Consumers: 0 })
                {
                    stalledSince = null;
                    restarted &= state is null; // a consumer seen again: the restart worked
                    continue;
                }

                var now = clock.GetUtcNow();
                stalledSince ??= now;
                if (now - stalledSince < limit)
                {
                    continue;
                }

                if (restarted)
                {
                    logger.LogCritical("Still no consumer on {Queue} after a bus restart, {Ready} intents waiting: stopping the gateway " +
                        "(exit code {ExitCode}) for its supervisor to start it again", queue, state.Value.Ready, StalledExitCode);
                    Environment.ExitCode = StalledExitCode;
                    lifetime.StopApplication();
                    return;
                }

                logger.LogWarning("No consumer on {Queue} for {Seconds} s with {Ready} intents waiting: restarting the bus",
                    queue, (int)(now - stalledSince.Value).TotalSeconds, state.Value.Ready);
                await RestartBusAsync(stoppingToken);
                restarted = true;
                stalledSince = null;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
        finally
        {
            await DropConnectionAsync();
        }
    }

    /// <summary>The queue as the broker sees it, or null when the broker cannot say (down, restarting, queue not declared yet).</summary>
    private async Task<(uint Ready, uint Consumers)?> ProbeAsync(string queue, CancellationToken stoppingToken)
    {
        try
        {
            connection ??= await ConnectAsync(stoppingToken);
            await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
            var ok = await channel.QueueDeclarePassiveAsync(queue, stoppingToken);
            return (ok.MessageCount, ok.ConsumerCount);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Whatever the failure (unreachable, closed, timed out), the next probe starts on a new connection:
            // a watchdog that dies with the first odd exception guards nothing.
            logger.LogDebug(ex, "Watchdog probe of {Queue} failed", queue);
            await DropConnectionAsync();
            return null;
        }
    }

    private async Task RestartBusAsync(CancellationToken stoppingToken)
    {
        try
        {
            using (var stopTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                stopTimeout.CancelAfter(TimeSpan.FromSeconds(30));
                await bus.StopAsync(stopTimeout.Token);
            }

            await bus.StartAsync(stoppingToken);
            logger.LogWarning("Bus restarted by the consumer watchdog");
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Try again at the next stall rather than leave the gateway without a watchdog.
            logger.LogError(ex, "The consumer watchdog could not restart the bus");
        }
    }

    private async Task DropConnectionAsync()
    {
        var dropped = connection;
        connection = null;
        if (dropped is not null)
        {
            try
            {
                await dropped.DisposeAsync();
            }
            catch (Exception ex)
            {
                logger.LogDebug(ex, "Closing the watchdog connection failed");
            }
        }
    }

    private Task<IConnection> ConnectAsync(CancellationToken ct) => rabbitOptions.Value.ConnectAsync("commsgw-consumer-watchdog", ct, f =>
    {
        // A probe fails fast and the next one reconnects: no automatic recovery to wait on.
        f.AutomaticRecoveryEnabled = false;
        f.RequestedConnectionTimeout = TimeSpan.FromSeconds(5);
        f.ContinuationTimeout = TimeSpan.FromSeconds(5);
    });
}

using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Hosting;
using MassTransit;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace CommsGateway.Features.Intents;

/// <summary>
/// Nothing published may vanish. Retries are MassTransit's (the intent consumer's in-place retry); what reaches the
/// "_error" queue is what no retry can decide, and this sweeper gives each such message its one decision:
/// <list type="bullet">
/// <item>not JSON at all: <c>Rejected MalformedMessage</c> with the parser's reason;</item>
/// <item>JSON with a value of the wrong type (<c>"body": 12345</c>, <c>"expiresAt": "tomorrow"</c>):
/// <c>Rejected InvalidField</c> naming the field (the consumer's retry skips these, so this takes milliseconds);</item>
/// <item>a readable intent that faulted through every retry (the database down longer than they last), or that the
/// broker dead-lettered after its delivery limit (a gateway died holding it each time): <c>Failed ProcessingFailed</c>
/// naming the fault, without running it again.</item>
/// </list>
/// Why here and not in MassTransit: it never hands a consumer a body it cannot deserialize (it moves it to "_error",
/// and there is no intent to decide), it stops at "_error" once its retries are spent, and a message the broker
/// dead-letters never reaches it. The decision needs the database; while it is down the message stays queued here
/// (not acknowledged) and is taken again a second later.
/// Messages are handled concurrently (up to <see cref="Concurrency"/>), so after an outage the decision writer
/// appends them in batches.
/// </summary>
internal sealed class ErrorQueueSweeper(
    IOptions<RabbitMqOptions> rabbitOptions,
    IOptions<GatewayOptions> gatewayOptions,
    DecisionLog decisionLog,
    IServiceScopeFactory scopes,
    TimeProvider clock,
    ILogger<ErrorQueueSweeper> logger,
    CommsGateway.Observability.GatewayMetrics metrics) : BackgroundService
{
    internal const ushort Concurrency = 16;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!gatewayOptions.Value.SweepErrorQueue)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Error-queue sweeper lost its connection; reconnecting");
                await Task.Delay(TimeSpan.FromSeconds(2), clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        var rabbit = rabbitOptions.Value;
        var errorQueue = gatewayOptions.Value.IntentQueue + "_error";
        // Deliveries are handled concurrently, bounded by the dispatch concurrency and the prefetch below.
        await using var connection = await rabbit.ConnectAsync("commsgw-error-sweeper", ct, f => f.ConsumerDispatchConcurrency = Concurrency);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        // Same arguments MassTransit uses, so whichever declares first, both agree.
        await channel.QueueDeclareAsync(errorQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: RabbitMqTopology.ErrorQueueArguments(rabbit), cancellationToken: ct);
        await channel.BasicQosAsync(0, Concurrency, false, ct);

        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.ChannelShutdownAsync += (_, _) =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            try
            {
                await HandleAsync(delivery, ct);
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not settle an error-queue message; it stays queued");
                await Task.Delay(TimeSpan.FromSeconds(1), clock, CancellationToken.None);
                await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
            }
        };
        await channel.BasicConsumeAsync(errorQueue, autoAck: false, consumer, ct);
        await closed.Task.WaitAsync(ct);
    }

    private async Task HandleAsync(BasicDeliverEventArgs delivery, CancellationToken ct)
    {
        var headers = delivery.BasicProperties.Headers;
        // MassTransit names the consumer's last fault; the broker, a delivery limit reached (x-first-death-reason).
        var faultMessage = HeaderText(headers, "MT-Fault-Message")
            ?? (HeaderText(headers, "x-first-death-reason") is { } death ? $"dead-lettered by the broker: {death}" : "unknown fault");
        // The body is the broker's buffer, valid only until this handler yields: copy it.
        var body = delivery.Body.ToArray();
        var key = DeliveryKey.For(delivery.BasicProperties.MessageId, body, delivery.BasicProperties);
        var read = IntentReader.Read(body);
        switch (read)
        {
            case { Intent: null, Field: null }:
                await RecordAsync(read.Ids, key, body, DecisionOutcome.Rejected, ReasonCodes.MalformedMessage,
                    $"unparseable message: {Truncate(read.Error ?? faultMessage, 500)}", ct);
                return;
            case { Intent: null }:
                await RecordAsync(read.Ids, key, body, DecisionOutcome.Rejected, ReasonCodes.InvalidField,
                    $"{read.Field}: {Truncate(read.Error ?? "", 500)}", ct);
                return;
        }

        // A readable intent the consumer's retries could not decide: the fault is the reason, the intent is not run again.
        await RecordAsync(read.Ids, key, body, DecisionOutcome.Failed, ReasonCodes.ProcessingFailed,
            $"processing fault: {Truncate(faultMessage, 500)}", ct, ContentHash.Compute(read.Intent));
    }

    /// <param name="contentHash">A readable intent's content hash, as the pipeline records it (so that a redelivery of the
    /// same intent is a plain duplicate); else the hash of the raw body.</param>
    private async Task RecordAsync(IntentReader.Ids ids, string key, byte[] body, DecisionOutcome outcome, string reason, string detail,
        CancellationToken ct, byte[]? contentHash = null)
    {
        var intentId = ids.IntentId is { Length: > 0 and <= Core.Validation.ChannelLimits.IdentifierLength } id ? id : key;
        var now = clock.GetUtcNow();
        var record = new DecisionRecord(
            Guid.CreateVersion7(now), ids.TenantId ?? "", intentId, ids.PatientId, null, Channel.Unknown, null, null,
            Purpose.Unknown, Purpose.Unknown, outcome, [reason], [detail, $"bytes: {body.Length}"],
            contentHash ?? System.Security.Cryptography.SHA256.HashData(body), null, SendPolicy.Version, null, now);
        var inserted = await decisionLog.TryAppendAsync(record, ct);
        if (inserted)
        {
            // A decision like any other: dashboards summing commsgw_decisions_total must see it.
            metrics.Decided(outcome, Channel.Unknown, record.Reasons);
            using var scope = scopes.CreateScope();
            await scope.ServiceProvider.GetRequiredService<IPublishEndpoint>().Publish(record.ToEvent(), ct);
        }

        logger.LogWarning("Error-queue message {IntentId} decided {Outcome} {Reason} ({Inserted})",
            intentId, outcome, reason, inserted ? "recorded" : "already decided");
    }

    private static string? HeaderText(IDictionary<string, object?>? headers, string key) =>
        headers is not null && headers.TryGetValue(key, out var value)
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                string s => s,
                null => null,
                _ => value.ToString(),
            }
            : null;

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max] + "…";
}

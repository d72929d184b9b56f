using System.Text;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Hosting;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace CommsGateway.Features.Intents;

/// <summary>
/// Nothing published may vanish. MassTransit moves a message it cannot deserialize (malformed JSON)
/// to the "_error" queue; this sweeper turns each such message into a Rejected decision with the
/// parser's reason, so it shows up in the decision log like any other intent. A message that faulted
/// for another reason (database down longer than the retries) is put back on the intent queue, up to
/// <see cref="GatewayOptions.MaxFaultReplays"/> times, then decided Failed.
/// </summary>
internal sealed class ErrorQueueSweeper(
    IOptions<RabbitMqOptions> rabbitOptions,
    IOptions<GatewayOptions> gatewayOptions,
    DecisionLog decisionLog,
    TimeProvider clock,
    ILogger<ErrorQueueSweeper> logger,
    CommsGateway.Observability.GatewayMetrics metrics) : BackgroundService
{
    internal const string ReplayHeader = "x-commsgw-replays";

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
        var queue = gatewayOptions.Value.IntentQueue;
        var errorQueue = queue + "_error";
        var factory = new ConnectionFactory
        {
            HostName = rabbit.Host,
            Port = rabbit.Port,
            VirtualHost = rabbit.VirtualHost,
            UserName = rabbit.Username,
            Password = rabbit.Password,
            ClientProvidedName = "commsgw-error-sweeper",
        };
        await using var connection = await factory.CreateConnectionAsync(rabbit.Endpoints(), ct);
        // Confirmed replays: the faulted message is acknowledged only once the broker holds its replay.
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        // Same arguments MassTransit uses, so whichever declares first, both agree.
        await channel.QueueDeclareAsync(errorQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: RabbitMqTopology.ErrorQueueArguments(rabbit), cancellationToken: ct);
        await channel.BasicQosAsync(0, 16, false, ct);

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
                await HandleAsync(channel, queue, delivery, ct);
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

    private async Task HandleAsync(IChannel channel, string queue, BasicDeliverEventArgs delivery, CancellationToken ct)
    {
        var headers = delivery.BasicProperties.Headers;
        var exceptionType = HeaderText(headers, "MT-Fault-ExceptionType") ?? "";
        var faultMessage = HeaderText(headers, "MT-Fault-Message") ?? "unknown fault";
        var body = delivery.Body;
        var parsed = TryParse(body.Span);
        var malformed = parsed is null
            || exceptionType.Contains("Serializ", StringComparison.Ordinal)
            || exceptionType.Contains("Json", StringComparison.Ordinal);

        if (!malformed)
        {
            var replays = HeaderInt(headers, ReplayHeader);
            if (replays < gatewayOptions.Value.MaxFaultReplays)
            {
                // Back off before replaying: the usual cause is a dependency that is still coming back.
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 2 << replays)), clock, ct);
                var properties = new BasicProperties(delivery.BasicProperties)
                {
                    Headers = (headers ?? new Dictionary<string, object?>())
                        .Where(h => !h.Key.StartsWith("MT-Fault", StringComparison.Ordinal) && h.Key != "MT-Reason")
                        .ToDictionary(h => h.Key, h => h.Value),
                };
                properties.Headers[ReplayHeader] = replays + 1;
                await channel.BasicPublishAsync("", queue, mandatory: true, properties, body, ct);
                logger.LogWarning("Replayed faulted intent {IntentId} ({Replays}): {Fault}", parsed!.IntentId, replays + 1, faultMessage);
                return;
            }
        }

        var intentId = parsed?.IntentId is { Length: > 0 and <= 200 } id ? id : IntentPipeline.SyntheticIntentId(delivery.BasicProperties.MessageId, body.Span);
        var tenantId = parsed?.TenantId ?? "";
        var now = clock.GetUtcNow();
        var outcome = malformed ? DecisionOutcome.Rejected : DecisionOutcome.Failed;
        var reason = malformed ? ReasonCodes.MalformedMessage : ReasonCodes.ProviderUnavailable;
        var record = new DecisionRecord(
            Guid.CreateVersion7(now), tenantId, intentId, parsed?.PatientId, null, Channel.Unknown, null, null,
            Purpose.Unknown, Purpose.Unknown, outcome, [reason],
            [$"{(malformed ? "unparseable message" : "processing fault")}: {Truncate(faultMessage, 500)}", $"bytes: {body.Length}"],
            System.Security.Cryptography.SHA256.HashData(body.Span), null, SendPolicy.Version, null, now);
        var inserted = await decisionLog.TryAppendAsync(record, ct);
        if (inserted)
        {
            // A decision like any other: dashboards summing commsgw_decisions_total must see it.
            metrics.Decided(outcome, Channel.Unknown, record.Reasons);
        }

        logger.LogWarning("Error-queue message {IntentId} decided {Outcome} ({Inserted}): {Fault}",
            intentId, outcome, inserted ? "recorded" : "already decided", Truncate(faultMessage, 200));
    }

    private sealed record ParsedIds(string? IntentId, string? TenantId, string? PatientId);

    /// <summary>Best effort: the ids of a raw-JSON or envelope body, or null when it is not JSON at all.</summary>
    private static ParsedIds? TryParse(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("message", out var inner) && inner.ValueKind == JsonValueKind.Object)
            {
                root = inner; // MassTransit envelope
            }

            return new ParsedIds(Text(root, "intentId"), Text(root, "tenantId"), Text(root, "patientId"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
            {
                return property.Value.GetString();
            }
        }

        return null;
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

    private static int HeaderInt(IDictionary<string, object?>? headers, string key) =>
        headers is not null && headers.TryGetValue(key, out var value)
            ? value switch
            {
                int i => i,
                long l => (int)l,
                byte[] bytes when int.TryParse(Encoding.UTF8.GetString(bytes), out var parsed) => parsed,
                _ => 0,
            }
            : 0;

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max] + "…";
}

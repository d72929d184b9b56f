using CommsGateway.Contracts;
using CommsGateway.Hosting;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Intents;

/// <summary>
/// Thin: hands a batch of intents to the pipeline (first decisions), then publishes the batch's outcomes, all at once,
/// and awaits their confirms together. The decisions are committed before; MassTransit acks the messages after.
/// </summary>
public sealed class IntentConsumer(IntentPipeline pipeline, IntentTelemetry telemetry) : IConsumer<Batch<MessageIntent>>
{
    public async Task Consume(ConsumeContext<Batch<MessageIntent>> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var activity = IntentTelemetry.Source.StartActivity("intent.batch");
        var messages = context.Message;
        activity?.SetTag("intent.count", messages.Length);
        telemetry.Batch(messages.Length);
        var batch = new IncomingIntent[messages.Length];
        for (var i = 0; i < messages.Length; i++)
        {
            batch[i] = new IncomingIntent(messages[i].Message, KeyOf(messages[i]));
        }

        var decided = await pipeline.DecideAsync(batch, context.CancellationToken);
        using var publish = IntentTelemetry.Source.StartActivity("intent.publish");
        // Each outcome through its own message's context (its conversation), the confirms awaited together.
        await Task.WhenAll(decided.Select((d, i) => messages[i].Publish(d, context.CancellationToken)));
    }

    /// <summary>
    /// The transport's own id of this message: the AMQP message_id as published (MassTransit ignores one that is not
    /// a GUID), else the envelope's messageId, else a hash of the body and the publisher's properties.
    /// </summary>
    private static string KeyOf(ConsumeContext context)
    {
        var amqp = context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) ? rabbit.Properties : null;
        var messageId = amqp?.MessageId is { Length: > 0 } raw ? raw : context.MessageId?.ToString();
        return messageId is not null
            ? DeliveryKey.For(messageId, default, amqp)
            : DeliveryKey.For(null, context.ReceiveContext.Body.GetBytes(), amqp);
    }
}

/// <summary>Queue name, batch sizes, prefetch, concurrency and message retry for intents, in one place.</summary>
public sealed class IntentConsumerDefinition : ConsumerDefinition<IntentConsumer>
{
    private readonly RabbitMqOptions _rabbit;
    private readonly IntentBatchOptions _batch;

    public IntentConsumerDefinition(IOptions<GatewayOptions> gateway, IOptions<RabbitMqOptions> rabbit, IOptions<IntentBatchOptions> batch)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(rabbit);
        ArgumentNullException.ThrowIfNull(batch);
        _rabbit = rabbit.Value;
        _batch = batch.Value;
        EndpointName = gateway.Value.IntentQueue;
        // Every message of every batch in flight is a message being consumed.
        ConcurrentMessageLimit = _batch.InFlight;
    }

    /// <summary>MassTransit's SerializationException, or the JSON exception it wraps or lets through.</summary>
    internal static bool IsUndeserializable(Exception ex) =>
        ex is System.Text.Json.JsonException || ex.GetType().Name == "SerializationException" || ex.InnerException is System.Text.Json.JsonException;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<IntentConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        ArgumentNullException.ThrowIfNull(consumerConfigurator);
        // Enough prefetched to fill every concurrent batch, and the next ones while they run.
        endpointConfigurator.PrefetchCount = Math.Max(_rabbit.PrefetchCount, _batch.InFlight);
        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(_batch.MessageLimit)
            .SetTimeLimit(TimeSpan.FromMilliseconds(_batch.TimeLimitMilliseconds))
            .SetConcurrencyLimit(_batch.ConcurrentBatches));
        // Transient faults (database restart, broker hiccup): retry in place, the intent's only retry: 11 attempts,
        // 0.7 s doubling up to 10 s apart, about 75 s in all. A redelivered intent that already has a decision is a
        // Duplicate, so retrying never sends twice. Past the last attempt the message goes to the error queue, where the
        // sweeper decides it Failed. A body that does not deserialize (a value of the wrong type) never will: it faults
        // alone, before any batch, and goes to the error queue at once, where the sweeper rejects it naming the field.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Exponential(11, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500));
            r.Ignore<Exception>(IsUndeserializable);
        });
    }
}

/// <summary>How intents are batched (section <c>Intents</c>): validated at start-up.</summary>
public sealed class IntentBatchOptions
{
    public const string Section = "Intents";

    /// <summary>Intents per batch at most: one context read, one append, one completion statement each.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1_000)] public int MessageLimit { get; set; } = 100;

    /// <summary>How long a batch waits for more intents after its first before it goes (a quiet queue's added latency).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1_000)] public int TimeLimitMilliseconds { get; set; } = 50;

    /// <summary>Batches decided at once: while one waits for its commit or its provider calls, another reads its context.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 32)] public int ConcurrentBatches { get; set; } = 4;

    /// <summary>Messages in flight at most: the consumer's concurrency and the least prefetch.</summary>
    public int InFlight => MessageLimit * ConcurrentBatches;
}

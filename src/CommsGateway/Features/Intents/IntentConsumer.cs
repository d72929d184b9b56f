using CommsGateway.Contracts;
using CommsGateway.Hosting;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Intents;

/// <summary>
/// Thin: hands each intent to the batches (<see cref="IntentBatches"/>) and publishes its outcome once its batch is
/// decided. The decision is committed before; MassTransit acks the message after the publish is confirmed (the
/// intents of one batch await their confirms together, each from its own consume).
/// </summary>
public sealed class IntentConsumer(IntentBatches batches) : IConsumer<MessageIntent>
{
    public async Task Consume(ConsumeContext<MessageIntent> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var intent = context.Message;
        // The delivery key only names an intent without a usable IntentId (hashing the body of every intent costs).
        var key = IntentPipeline.HasUsableId(intent) ? intent.IntentId : KeyOf(context);
        var decided = await batches.DecideAsync(new IncomingIntent(intent, key));
        await context.Publish(decided, context.CancellationToken);
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
        // Every message of every batch being decided, and the next batch gathering meanwhile, is a message being consumed.
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
        // Enough prefetched to fill every concurrent batch, and the next one while they run.
        endpointConfigurator.PrefetchCount = Math.Max(_rabbit.PrefetchCount, _batch.InFlight);
        // Transient faults (database restart, broker hiccup): retry in place, the intent's only retry: 11 attempts,
        // 0.7 s doubling up to 10 s apart, about 75 s in all. A redelivered intent that already has a decision is a
        // Duplicate, so retrying never sends twice. A batch that fails fails each of its intents, each retried on its own
        // (they meet again in the next batches). Past the last attempt the message goes to the error queue, where the
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

    /// <summary>
    /// How long a batch with room left waits for more intents after its first before it goes (a quiet queue's added
    /// latency). A batch forms only when one of <see cref="ConcurrentBatches"/> is free: under load it fills at once.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1_000)] public int TimeLimitMilliseconds { get; set; } = 50;

    /// <summary>
    /// Within the time limit, a batch goes as soon as no intent joined it for this long (0: waits the whole limit). The
    /// intents a finished batch frees arrive together, so a busy queue still fills its batches; a steady trickle leaves
    /// at once instead of paying the whole time limit in latency.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0, 1_000)] public int QuietMilliseconds { get; set; } = 2;

    /// <summary>
    /// Batches decided at once: while one waits for its commit or its provider calls (a campaign's emails wait for their
    /// shared SendGrid request), others read their context and append. A 100,000-email campaign takes 50 s with 8, 58 s
    /// with 4 and 55 s with 16; the mixed load is the same with 4 or 8 (docs/performance.md).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 32)] public int ConcurrentBatches { get; set; } = 8;

    /// <summary>Messages in flight at most (the batches being decided and the one gathering): the consumer's concurrency and the least prefetch.</summary>
    public int InFlight => MessageLimit * (ConcurrentBatches + 1);
}

using CommsGateway.Contracts;
using CommsGateway.Hosting;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Intents;

/// <summary>Thin: hands the intent to the pipeline and publishes the outcome.</summary>
public sealed class IntentConsumer(IntentPipeline pipeline) : IConsumer<MessageIntent>
{
    public async Task Consume(ConsumeContext<MessageIntent> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = PipelineProfile.Start();
        var decided = await pipeline.ProcessAsync(context.Message, KeyOf(context), context.CancellationToken);
        var published = PipelineProfile.Start();
        await context.Publish(decided, context.CancellationToken);
        PipelineProfile.Lap(PipelineProfile.Stage.Publish, published);
        PipelineProfile.Lap(PipelineProfile.Stage.Consume, started);
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

/// <summary>Queue name, prefetch, concurrency and message retry for intents, in one place.</summary>
public sealed class IntentConsumerDefinition : ConsumerDefinition<IntentConsumer>
{
    private readonly RabbitMqOptions _rabbit;

    public IntentConsumerDefinition(IOptions<GatewayOptions> gateway, IOptions<RabbitMqOptions> rabbit)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(rabbit);
        _rabbit = rabbit.Value;
        EndpointName = gateway.Value.IntentQueue;
        ConcurrentMessageLimit = _rabbit.ConcurrentMessageLimit;
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
        endpointConfigurator.PrefetchCount = _rabbit.PrefetchCount;
        // Transient faults (database restart, broker hiccup): retry the message in place. A redelivered
        // intent that already has a decision is a Duplicate, so retrying never sends twice. A body that does not
        // deserialize (a value of the wrong type) never will: it goes to the error queue at once, where the sweeper
        // rejects it naming the field.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500));
            r.Ignore<Exception>(IsUndeserializable);
        });
    }
}

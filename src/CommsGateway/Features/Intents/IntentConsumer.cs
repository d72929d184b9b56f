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
        var decided = await pipeline.ProcessAsync(context.Message, context.MessageId?.ToString(), context.CancellationToken);
        var published = PipelineProfile.Start();
        await context.Publish(decided, context.CancellationToken);
        PipelineProfile.Lap(PipelineProfile.Stage.Publish, published);
        PipelineProfile.Lap(PipelineProfile.Stage.Consume, started);
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

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<IntentConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.PrefetchCount = _rabbit.PrefetchCount;
        // Transient faults (database restart, broker hiccup): retry the message in place. A redelivered
        // intent that already has a decision is a Duplicate, so retrying never sends twice.
        endpointConfigurator.UseMessageRetry(r => r.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));
    }
}

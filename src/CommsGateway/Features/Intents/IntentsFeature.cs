using CommsGateway.Core.Classification;
using CommsGateway.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Intents;

public static class IntentsFeature
{
    public static IHostApplicationBuilder AddIntents(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<RabbitMqOptions>().BindConfiguration(RabbitMqOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<IntentBatchOptions>().BindConfiguration(IntentBatchOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddIntentDecisions();
        builder.Services.AddSingleton<IntentTelemetry>();
        builder.Services.AddSingleton<DecisionLog>();
        builder.Services.AddSingleton<IntentPipeline>();
        builder.Services.AddSingleton<IntentBatches>();
        builder.Services.AddSingleton<DeferredIntents>();
        builder.Services.AddHostedService<ErrorQueueSweeper>();
        builder.Services.AddHostedService<IntentConsumerWatchdog>();
        builder.Services.AddSingleton<DeferredIntentPoller>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeferredIntentPoller>());

        builder.Services.AddMassTransit(x =>
        {
            // A health-data system does not call home: MassTransit would otherwise report usage to its vendor's host.
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            x.AddConsumer<IntentConsumer, IntentConsumerDefinition>();
            x.AddConsumer<Contacts.PatientContactChangedConsumer>();
            x.AddConfigureEndpointsCallback((context, name, endpoint) =>
            {
                var rabbit = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                if (endpoint is IRabbitMqReceiveEndpointConfigurator queue)
                {
                    foreach (var (key, value) in RabbitMqTopology.ConsumedQueueArguments(rabbit, name))
                    {
                        queue.SetQueueArgument(key, value);
                    }
                }
            });
            x.UsingRabbitMq((context, cfg) =>
            {
                var rabbit = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, h =>
                {
                    h.Username(rabbit.Username);
                    h.Password(rabbit.Password);
                    // A publish counts once the broker confirmed it (for a quorum queue: once a majority holds it).
                    h.PublisherConfirmation = true;
                    if (rabbit.ClusterNodes.Count > 0)
                    {
                        h.UseCluster(c =>
                        {
                            foreach (var node in rabbit.ClusterNodes)
                            {
                                c.Node(node);
                            }
                        });
                    }
                });
                ConfigureQueueTypes(cfg, rabbit);
                // The body PatientContactChanged shares with the API and the import, not a message: no exchange of its own.
                cfg.Publish<Contracts.ContactDetails>(p => p.Exclude = true);
                // Plain JSON from producers without MassTransit, beside MassTransit's own envelope, on the same queue.
                // Default for a message without content_type (pika and most AMQP clients set none): plain JSON.
                // MassTransit's own publishers always send application/vnd.masstransit+json, so nothing is misread.
                cfg.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    /// <summary>
    /// How intents are decided without writing anything (the context query, the classifier, the decider): the gateway
    /// and the campaign preview (in the CLI too, which has no bus) decide through the same path. Registered once.
    /// </summary>
    public static IServiceCollection AddIntentDecisions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<ContentClassifier>();
        services.TryAddSingleton<DecisionContextQuery>();
        services.TryAddSingleton<IntentDecider>();
        return services;
    }

    /// <summary>
    /// Every endpoint the gateway consumes (intents, contact changes) is a quorum queue unless configured classic (the
    /// endpoints callback above sets the arguments); MassTransit copies an endpoint's arguments to its _error and _skipped queues, which keep only the queue type
    /// (see <see cref="RabbitMqTopology.ErrorQueueArguments"/>).
    /// </summary>
    private static void ConfigureQueueTypes(IRabbitMqBusFactoryConfigurator cfg, RabbitMqOptions rabbit)
    {
        if (rabbit.QueueType == RabbitQueueType.Classic)
        {
            return;
        }

        cfg.SendTopology.ConfigureErrorSettings = StripEndpointArguments;
        cfg.SendTopology.ConfigureDeadLetterSettings = StripEndpointArguments;

        static void StripEndpointArguments(IRabbitMqQueueBindingConfigurator settings)
        {
            foreach (var key in RabbitMqTopology.EndpointOnlyArguments)
            {
                settings.SetQueueArgument(key, null);
            }
        }
    }
}

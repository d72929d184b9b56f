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
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ContentClassifier>();
        builder.Services.AddSingleton<DecisionLog>();
        builder.Services.AddSingleton<IntentPipeline>();
        builder.Services.TryAddSingleton<MessageRendering>();
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
            x.UsingRabbitMq((context, cfg) =>
            {
                var rabbit = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, h =>
                {
                    h.Username(rabbit.Username);
                    h.Password(rabbit.Password);
                });
                // Plain JSON from producers without MassTransit, beside MassTransit's own envelope, on the same queue.
                // Default for a message without content_type (pika and most AMQP clients set none): plain JSON.
                // MassTransit's own publishers always send application/vnd.masstransit+json, so nothing is misread.
                cfg.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }
}

using CommsGateway.Data;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Campaigns;
using CommsGateway.Features.Admin;
using CommsGateway.Features.DevOutbox;
using CommsGateway.Features.Webhooks;
using CommsGateway.Features.Intents;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.Observability;
using CommsGateway.Providers;

namespace CommsGateway.Hosting;

/// <summary>Builds the gateway process. The CLI and the tests host the same application.</summary>
public static class GatewayHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddGatewayServices();

        var app = builder.Build();
        app.MapGatewayEndpoints();
        return app;
    }

    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();

        // Order matters: migrations run before the bus starts consuming.
        builder.AddObservability();
        builder.AddDatabase();
        builder.AddProviders();
        builder.AddIntents();
        builder.AddUnsubscribe();
        builder.AddWebhooks();
        builder.AddAudit();
        builder.AddAdminApi();
        builder.AddCampaigns();
        return builder;
    }

    public static IEndpointRouteBuilder MapGatewayEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/health/live", () => TypedResults.Ok("live"));
        endpoints.MapUnsubscribe();
        endpoints.MapObservability();
        endpoints.MapAudit();
        endpoints.MapAdminApi();
        endpoints.MapTwilioStatusWebhook();
        endpoints.MapWebhooks();
        endpoints.MapDevOutbox();
        endpoints.MapCampaigns();
        return endpoints;
    }
}


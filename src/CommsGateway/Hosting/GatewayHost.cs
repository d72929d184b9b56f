using System.Net;
using CommsGateway.Data;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Campaigns;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Console;
using CommsGateway.Features.Contacts;
using CommsGateway.Features.Admin;
using CommsGateway.Features.DevOutbox;
using CommsGateway.Features.Webhooks;
using CommsGateway.Features.Intents;
using CommsGateway.Features.Patients;
using CommsGateway.Features.Preferences;
using CommsGateway.Features.Privacy;
using CommsGateway.Features.Review;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.Observability;
using CommsGateway.Providers;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

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
        // Problem+json for every error, in every environment: this handler sits inside the developer exception page
        // WebApplication adds in Development, so that page never renders (it echoed request headers, the API key too).
        app.UseGatewayProblems();
        // Behind a TLS proxy the connection's address is the proxy's: take the patient's from X-Forwarded-For, but
        // only from proxies we trust (loopback, plus Gateway:TrustedProxies), since the address is consent evidence.
        app.UseForwardedHeaders();
        app.UseRouting();
        app.UseRequestBodyLimits();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapGatewayEndpoints();
        return app;
    }

    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<GatewayOptions>>((forwarded, gateway) =>
        {
            // The scheme too, so that a request the TLS proxy received over HTTPS counts as HTTPS here (secure cookies).
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = 1;
            foreach (var proxy in gateway.Value.TrustedProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });

        builder.Services.AddGatewayProblems();

        // Order matters: migrations run before the bus starts consuming.
        builder.AddObservability();
        builder.AddDatabase();
        builder.AddPrivacy();
        builder.AddProviders();
        builder.AddIntents();
        builder.AddReview();
        builder.AddUnsubscribe();
        builder.AddPreferences();
        builder.AddWebhooks();
        builder.AddAudit();
        builder.AddAdminApi();
        builder.AddContacts();
        builder.AddConsent();
        builder.AddPatients();
        builder.AddCampaigns();
        builder.AddConsole();
        return builder;
    }

    public static IEndpointRouteBuilder MapGatewayEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/health/live", () => TypedResults.Ok("live"));
        endpoints.MapUnsubscribe();
        endpoints.MapPreferences();
        endpoints.MapObservability();
        endpoints.MapAudit();
        endpoints.MapAdminApi();
        endpoints.MapContacts();
        endpoints.MapConsent();
        endpoints.MapPatients();
        endpoints.MapReviewApi();
        endpoints.MapTwilioStatusWebhook();
        endpoints.MapWebhooks();
        endpoints.MapDevOutbox();
        endpoints.MapCampaigns();
        endpoints.MapConsole();
        return endpoints;
    }
}


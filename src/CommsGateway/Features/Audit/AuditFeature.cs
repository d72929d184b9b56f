namespace CommsGateway.Features.Audit;

/// <summary>DPO queries, breach scoping and retention.</summary>
public static class AuditFeature
{
    public static IHostApplicationBuilder AddAudit(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<DecisionQuery>();
        builder.Services.AddSingleton<BreachScope>();
        builder.Services.AddSingleton<RetentionService>();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<RetentionJob>();
        // Authentication (the API-key scheme) is registered by the admin API (branch consent).
        builder.Services.AddAuthorization();
        return builder;
    }

    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapDecisionsApi();
        return endpoints;
    }
}

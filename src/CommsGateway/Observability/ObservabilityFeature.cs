using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OpenTelemetry.Metrics;

namespace CommsGateway.Observability;

/// <summary>Health checks, OpenTelemetry metrics (Prometheus exposition) and the log masking net.</summary>
public static class ObservabilityFeature
{
    public const string ReadyTag = "ready";

    public static IHostApplicationBuilder AddObservability(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPersonalDataMasking();
        builder.Services.AddUtcLogTimestamps();
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddConsumeObserver<QueueLagObserver>();
        // Opt-in profile (the bench): registered before the consumers, so it stops after them and sees every intent.
        builder.Services.AddOptions<ProfileOptions>().BindConfiguration(ProfileOptions.Section);
        if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{ProfileOptions.Section}:{nameof(ProfileOptions.ProfileFile)}"]))
        {
            builder.Services.AddSingleton<ProfileRecorder>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ProfileRecorder>());
        }

        // MassTransit registers its bus check itself ("masstransit-bus", tagged "ready").
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgresql", tags: [ReadyTag]);

        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName)
            // Npgsql's own instruments (db.client.*: commands, their duration, the pool's connections).
            .AddNpgsqlInstrumentation()
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddRuntimeInstrumentation()
            // Any other histogram in seconds that brings no bounds of its own gets second-scale buckets too.
            .AddView(instrument => instrument.Unit == "s" && instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal)
                ? new ExplicitBucketHistogramConfiguration { Boundaries = [.. GatewayMetrics.SecondsBuckets] }
                : null)
            .AddPrometheusExporter());
        return builder;
    }

    public static IEndpointRouteBuilder MapObservability(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteJsonAsync,
        });
        var metrics = endpoints.MapPrometheusScrapingEndpoint("/metrics");
        if (Hosting.OpenApiDocumentation.ManagementRequiresKey(endpoints.ServiceProvider))
        {
            metrics.RequireAuthorization(Features.Admin.ApiKeyAuthenticationHandler.OperatorPolicy);
        }
        return endpoints;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>{"status":"Healthy","checks":[{"name":"postgresql","status":"Healthy","description":...,"durationMs":..}]}</summary>
    private static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            totalDurationMs = report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                durationMs = e.Value.Duration.TotalMilliseconds,
                tags = e.Value.Tags,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }
}

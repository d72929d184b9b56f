using Microsoft.Extensions.Logging.Console;

namespace CommsGateway.Observability;

/// <summary>
/// JSON console lines (Logging:Console:FormatterName=json) carry when they happened: UTC, ISO 8601 with
/// milliseconds, so lines from several processes sort and correlate in a log store. An operator's own
/// Logging:Console:FormatterOptions:TimestampFormat wins.
/// </summary>
public static class ConsoleLogFormat
{
    public const string IsoUtc = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'";

    public static IServiceCollection AddUtcLogTimestamps(this IServiceCollection services)
    {
        services.Configure<JsonConsoleFormatterOptions>(options =>
        {
            options.TimestampFormat ??= IsoUtc;
            options.UseUtcTimestamp = true;
        });
        return services;
    }
}

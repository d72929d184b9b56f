using System.CommandLine;
using CommsGateway.Hosting;
using Microsoft.Extensions.Options;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw run`: the gateway process (consumer, web endpoints), configured from appsettings and environment.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var command = new Command("run", "Run the gateway: consume intents from RabbitMQ, decide, record, send") { urls };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var app = GatewayHost.Build(["--urls", parse.GetValue(urls)!], ConfigureFromGatewayDirectory);
                await app.RunAsync(ct);
            }
            catch (Exception e) when (ConfigurationFailures(e) is { Count: > 0 } failures)
            {
                // Fail fast with the settings' names, not a stack trace: the operator fixes the environment and restarts.
                await parse.InvocationConfiguration.Error.WriteLineAsync("commsgw run: the configuration was refused:");
                foreach (var failure in failures)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync("  - " + failure);
                }

                return ExitConfigurationError;
            }

            return Environment.ExitCode; // non-zero when the gateway stopped itself to be restarted (consumer watchdog)
        });
        return command;
    }

    /// <summary>EX_CONFIG (sysexits.h): distinct from the watchdog's 75, which asks to be restarted.</summary>
    internal const int ExitConfigurationError = 78;

    /// <summary>Every options-validation message inside <paramref name="e"/> (start-up wraps them in aggregates).</summary>
    internal static IReadOnlyList<string> ConfigurationFailures(Exception e) => e switch
    {
        OptionsValidationException validation => [.. validation.Failures],
        AggregateException aggregate => [.. aggregate.InnerExceptions.SelectMany(ConfigurationFailures)],
        _ => [],
    };

    /// <summary>The gateway's appsettings.json sits next to commsgw's binary; load it whatever the working directory.</summary>
    internal static void ConfigureFromGatewayDirectory(WebApplicationBuilder builder)
    {
        builder.Configuration.SetBasePath(AppContext.BaseDirectory);
        builder.Configuration.AddJsonFile("appsettings.json", optional: true);
        builder.Configuration.AddEnvironmentVariables();
    }
}

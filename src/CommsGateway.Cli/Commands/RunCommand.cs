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
                var app = GatewayHost.Build(GatewayArgs(parse.GetValue(urls)!), QuietHostFailure);
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

    /// <summary>The host logs a failed start with its stack trace; commsgw reports it itself, one readable message.</summary>
    internal const string HostFailureCategory = "Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host";

    internal static void QuietHostFailure(IHostApplicationBuilder builder) =>
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [HostFailureCategory] = "None" });

    /// <summary>
    /// The gateway's appsettings files sit next to commsgw's binary: that directory is the content root, so the
    /// host loads appsettings.json and appsettings.{environment}.json from it whatever the working directory.
    /// </summary>
    internal static string[] GatewayArgs(string urls, params string[] more) =>
        ["--urls", urls, "--contentRoot", CliConfiguration.ContentRoot, .. more];
}

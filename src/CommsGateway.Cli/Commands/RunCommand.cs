using System.CommandLine;
using CommsGateway.Hosting;

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
            var app = GatewayHost.Build(["--urls", parse.GetValue(urls)!], ConfigureFromGatewayDirectory);
            await app.RunAsync(ct);
            return Environment.ExitCode; // non-zero when the gateway stopped itself to be restarted (consumer watchdog)
        });
        return command;
    }

    /// <summary>The gateway's appsettings.json sits next to commsgw's binary; load it whatever the working directory.</summary>
    internal static void ConfigureFromGatewayDirectory(WebApplicationBuilder builder)
    {
        builder.Configuration.SetBasePath(AppContext.BaseDirectory);
        builder.Configuration.AddJsonFile("appsettings.json", optional: true);
        builder.Configuration.AddEnvironmentVariables();
    }
}

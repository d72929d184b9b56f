using CommsGateway.Cli.Commands;
using CommsGateway.Data;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Contacts;
using CommsGateway.Features.Patients;
using CommsGateway.Features.Privacy;
using CommsGateway.Observability;
using System.CommandLine;

namespace CommsGateway.Cli;

/// <summary>
/// The gateway's services without its bus or web server: admin commands talk to PostgreSQL through the same
/// classes as the admin API (same validation, same SQL, same audit). Starting the host applies pending migrations.
/// </summary>
internal static class CliHost
{
    public static async Task<IHost> StartAsync(CancellationToken ct, Action<IHostApplicationBuilder>? configure = null)
    {
        // Content root = the binary's directory: appsettings.json and the environment's file, from any working directory.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = CliConfiguration.ContentRoot,
            EnvironmentName = CliConfiguration.EnvironmentName,
        });
        // A command's output is its result; the host's lifetime chatter would drown it.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            [RunCommand.HostFailureCategory] = "None",
        });
        builder.AddDatabase();
        // Erase and export hash addresses with the same key as the gateway (suppressions).
        builder.AddPrivacy();
        builder.AddContacts();
        builder.AddConsent();
        builder.AddPatients();
        // Admin commands handle contact data (import, export, erase): their logs are masked like the gateway's.
        builder.Services.AddPersonalDataMasking();
        builder.Services.AddUtcLogTimestamps();
        configure?.Invoke(builder);
        var host = builder.Build();
        await host.StartAsync(ct);
        return host;
    }

    /// <summary>Runs <paramref name="body"/> against a started host and stops it afterwards.</summary>
    public static async Task<int> RunAsync(Func<IServiceProvider, Task<int>> body, CancellationToken ct, Action<IHostApplicationBuilder>? configure = null)
    {
        using var host = await StartAsync(ct, configure);
        try
        {
            return await body(host.Services);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    public static Option<string> TenantOption() => new("--tenant") { Description = "Tenant (clinic) id", Required = true };

    public static Option<string> PatientOption() => new("--patient") { Description = "Patient id", Required = true };

    public static Option<string?> ActorOption() => new("--actor") { Description = "The person this command is run for (recorded in the audit trail)" };
}

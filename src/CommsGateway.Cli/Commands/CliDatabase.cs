using System.CommandLine;
using System.Text.Json;
using CommsGateway.Data;
using CommsGateway.Hosting;
using Npgsql;

namespace CommsGateway.Cli.Commands;

/// <summary>Operator commands talk to the gateway's PostgreSQL directly, with the gateway's own settings.</summary>
internal static class CliDatabase
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Option<string?> ConnectionOption() => new("--connection")
    {
        Description = "PostgreSQL connection string (default: Database__ConnectionString, then the gateway's appsettings files)",
    };

    /// <summary>
    /// The data source of every verb that does not start a host: --connection, else the gateway's settings
    /// (<see cref="CliConfiguration"/>). Made by the gateway's own factory, so it behaves as the gateway's does.
    /// </summary>
    public static NpgsqlDataSource Open(string? connection)
    {
        var connectionString = connection ?? CliConfiguration.Build()[$"{DatabaseOptions.Section}:ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new CliConfigurationException("No database connection string: pass --connection or set Database__ConnectionString");
        }

        return Database.CreateDataSource(connectionString);
    }

    /// <summary>Who runs an admin command, for admin_audit: --actor, else the OS user.</summary>
    public static Option<string> ActorOption() => new("--actor")
    {
        Description = "Who runs this (recorded in admin_audit)",
        DefaultValueFactory = _ => Environment.UserName + "@" + Environment.MachineName,
    };
}

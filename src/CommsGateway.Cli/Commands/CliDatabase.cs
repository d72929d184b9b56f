using System.CommandLine;
using System.Text.Json;
using Npgsql;

namespace CommsGateway.Cli.Commands;

/// <summary>Operator commands talk to the gateway's PostgreSQL directly, with the gateway's own settings.</summary>
internal static class CliDatabase
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Option<string?> ConnectionOption() => new("--connection")
    {
        Description = "PostgreSQL connection string (default: Database__ConnectionString, then the gateway's appsettings.json)",
    };

    public static NpgsqlDataSource Open(string? connection)
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var connectionString = connection ?? configuration["Database:ConnectionString"]
            ?? throw new InvalidOperationException("No connection string: pass --connection or set Database__ConnectionString");
        return NpgsqlDataSource.Create(connectionString);
    }

    /// <summary>Who runs an admin command, for admin_audit: --actor, else the OS user.</summary>
    public static Option<string> ActorOption() => new("--actor")
    {
        Description = "Who runs this (recorded in admin_audit)",
        DefaultValueFactory = _ => Environment.UserName + "@" + Environment.MachineName,
    };
}

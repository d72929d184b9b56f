using System.ComponentModel.DataAnnotations;
using CommsGateway.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommsGateway.Data;

public static class Database
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                throw new ValidationException("Database:ConnectionString is required");
            }

            return CreateDataSource(options.ConnectionString);
        });
        builder.Services.AddHostedService<MigrationHostedService>();
        return builder;
    }

    /// <summary>The one way a data source is made, for the gateway and every CLI verb alike.</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString) =>
        new NpgsqlDataSourceBuilder(WithAutoPrepare(connectionString)).Build();

    /// <summary>
    /// Every intent runs the same handful of statements (decision context, decision batch, dispatch claim and
    /// completion): prepared once per connection, each then skips parse and plan. Npgsql's default is off; a
    /// connection string that sets Max Auto Prepare itself wins.
    /// </summary>
    internal static string WithAutoPrepare(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        return builder.ConnectionString;
    }
}

/// <summary>Applies pending migrations at start-up, before anything consumes.</summary>
internal sealed class MigrationHostedService(NpgsqlDataSource dataSource, ILogger<MigrationHostedService> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var applied = await MigrationRunner.ApplyAsync(dataSource, cancellationToken);
        foreach (var name in applied)
        {
            logger.LogInformation("Applied migration {Migration}", name);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

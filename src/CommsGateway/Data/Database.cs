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

            return new NpgsqlDataSourceBuilder(options.ConnectionString).Build();
        });
        builder.Services.AddHostedService<MigrationHostedService>();
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        return builder;
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

using System.CommandLine;
using CommsGateway.Features.Audit;
using CommsGateway.Hosting;
using Npgsql;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw audit verify --tenant T`: proves a tenant's decision log is untouched, or names the first broken row.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "The clinic (tenant id) whose chain to verify", Required = true };
        var connection = new Option<string?>("--connection") { Description = "PostgreSQL connection string (default: Database:ConnectionString)" };
        var verify = new Command("verify", "Re-compute the tenant's decision hash chain and name the first broken row") { tenant, connection };
        verify.SetAction(async (parse, ct) =>
        {
            var connectionString = parse.GetValue(connection) ?? ConnectionString();
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            var report = await DecisionChainVerifier.VerifyAsync(dataSource, parse.GetValue(tenant)!, ct);
            if (report.FirstBroken is { } broken)
            {
                AnsiConsole.MarkupLine($"[red]BROKEN[/] tenant {Markup.Escape(report.TenantId)}: first broken row seq {broken.Seq}, intent {Markup.Escape(broken.IntentId)}, decision {broken.DecisionId}");
                AnsiConsole.MarkupLine($"  {Markup.Escape(broken.Problem)} ({report.RowsChecked - 1} rows before it verified)");
                return 1;
            }

            AnsiConsole.MarkupLine($"[green]OK[/] tenant {Markup.Escape(report.TenantId)}: {report.RowsChecked} decisions verified"
                + (report.UnchainedRows > 0 ? $", {report.UnchainedRows} older rows predate the chain" : ""));
            return 0;
        });
        return new Command("audit", "Audit the decision log") { verify };
    }

    /// <summary>The gateway's own setting: appsettings.json next to the binary, overridden by the environment.</summary>
    private static string ConnectionString()
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        return configuration[$"{DatabaseOptions.Section}:ConnectionString"]
            ?? throw new InvalidOperationException("Database:ConnectionString is not set");
    }
}

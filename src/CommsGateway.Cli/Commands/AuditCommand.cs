using System.CommandLine;
using CommsGateway.Features.Audit;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw audit verify --tenant T`: proves a tenant's decision log is untouched, or names the first broken row.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant") { Description = "The clinic (tenant id) whose chain to verify", Required = true };
        var connection = CliDatabase.ConnectionOption();
        var verify = new Command("verify", "Re-compute the tenant's decision-log and consent-ledger hash chains and name the first broken row of each") { tenant, connection };
        verify.SetAction(async (parse, ct) =>
        {
            await using var dataSource = CliDatabase.Open(parse.GetValue(connection));
            var report = await DecisionChainVerifier.VerifyAsync(dataSource, parse.GetValue(tenant)!, ct);
            var consent = await ConsentChainVerifier.VerifyAsync(dataSource, parse.GetValue(tenant)!, ct);
            var status = 0;
            if (report.FirstBroken is { } broken)
            {
                AnsiConsole.MarkupLine($"[red]BROKEN[/] decision log of {Markup.Escape(report.TenantId)}: first broken row seq {broken.Seq}, intent {Markup.Escape(broken.IntentId)}, decision {broken.DecisionId}");
                AnsiConsole.MarkupLine($"  {Markup.Escape(broken.Problem)} ({report.RowsChecked - 1} rows before it verified)");
                status = 1;
            }
            else
            {
                AnsiConsole.MarkupLine($"[green]OK[/] decision log of {Markup.Escape(report.TenantId)}: {report.RowsChecked} decisions verified"
                    + (report.UnchainedRows > 0 ? $", {report.UnchainedRows} older rows predate the chain" : ""));
            }

            if (consent.FirstBroken is { } link)
            {
                AnsiConsole.MarkupLine($"[red]BROKEN[/] consent ledger of {Markup.Escape(consent.TenantId)}: first broken event {(link.EventId > 0 ? link.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture) : "(removed)")} (chain position {link.ChainSeq})");
                AnsiConsole.MarkupLine($"  {Markup.Escape(link.Problem)} ({consent.EventsChecked} events before it verified)");
                status = 1;
            }
            else
            {
                AnsiConsole.MarkupLine($"[green]OK[/] consent ledger of {Markup.Escape(consent.TenantId)}: {consent.EventsChecked} events verified"
                    + (consent.Tombstones > 0 ? $", {consent.Tombstones} removed by retention (tombstones)" : ""));
            }

            return status;
        });
        return new Command("audit", "Audit the decision log") { verify };
    }
}

using System.CommandLine;
using CommsGateway.Features.Admin;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw tenant add`: creates a clinic and prints a new admin API key, once.</summary>
internal static class TenantCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("tenant-id") { Description = "The clinic's id, as producers put it in TenantId" };
        var name = new Option<string?>("--name") { Description = "Display name" };
        var lapse = new Option<int?>("--consent-lapse-months") { Description = "Marketing consent lapses after this many months without interaction (default 36)" };
        var region = new Option<string?>("--default-region") { Description = "ISO region national phone numbers are read in (default FR)" };
        var zone = new Option<string?>("--time-zone") { Description = "IANA time zone (default Europe/Paris)" };
        var label = new Option<string>("--key-label") { Description = "Label of the API key issued", DefaultValueFactory = _ => "admin" };
        var actor = CliHost.ActorOption();
        var add = new Command("add", "Create (or update) a clinic and issue a new admin API key") { id, name, lapse, region, zone, label, actor };
        add.SetAction((parse, ct) => CliHost.RunAsync(async services =>
        {
            var settings = new Dictionary<string, object?>();
            if (parse.GetValue(lapse) is { } months)
            {
                settings["consent_lapse_months"] = months;
            }

            if (parse.GetValue(region) is { } r)
            {
                settings["default_region"] = r.ToUpperInvariant();
            }

            if (parse.GetValue(zone) is { } z)
            {
                if (!TimeZoneInfo.TryFindSystemTimeZoneById(z, out _))
                {
                    AnsiConsole.MarkupLine($"[red]Unknown time zone {Markup.Escape(z)}[/]");
                    return 2;
                }

                settings["time_zone"] = z;
            }

            var tenantId = parse.GetValue(id)!;
            var key = await services.GetRequiredService<TenantDirectory>().AddTenantAsync(tenantId, parse.GetValue(name) ?? tenantId,
                settings, parse.GetValue(label)!, Actor.Cli(parse.GetValue(actor)), ct);
            AnsiConsole.MarkupLine($"Tenant [bold]{Markup.Escape(tenantId)}[/] ready. Its API key (shown once, store it now):");
            Console.WriteLine(key);
            return 0;
        }, ct));
        return new Command("tenant", "Manage clinics") { add };
    }
}

using System.CommandLine;
using System.Globalization;
using CommsGateway.Features.Admin;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw tenant add`: creates a clinic and prints a new admin API key, once; `tenant key list|issue|revoke` manage its keys.</summary>
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
        return new Command("tenant", "Manage clinics") { add, KeyCommand() };
    }

    /// <summary>Rotation without downtime: issue a new key, move the client to it, revoke the old one.</summary>
    private static Command KeyCommand()
    {
        var actor = CliHost.ActorOption();
        var tenant = new Argument<string>("tenant-id");
        var list = new Command("list", "List the clinic's API keys (ids, labels, dates; never secrets)") { tenant };
        list.SetAction((parse, ct) => CliHost.RunAsync(async services =>
        {
            var keys = await services.GetRequiredService<TenantDirectory>().ListKeysAsync(parse.GetValue(tenant)!, ct);
            // Ids are copied into `key revoke`: never wrapped.
            var table = new Table().AddColumns(new TableColumn("key id").NoWrap(), new TableColumn("label"), new TableColumn("created by"),
                new TableColumn("created (UTC)").NoWrap(), new TableColumn("revoked (UTC)").NoWrap());
            foreach (var key in keys)
            {
                table.AddRow(Markup.Escape(key.KeyId), Markup.Escape(key.Label), Markup.Escape(key.CreatedBy),
                    key.CreatedAt.ToString("u", CultureInfo.InvariantCulture), key.RevokedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "live");
            }

            AnsiConsole.Write(table);
            return 0;
        }, ct));

        var label = new Option<string>("--label") { Description = "What the key is for (e.g. booking system)", Required = true };
        var issue = new Command("issue", "Issue another API key for the clinic, shown once") { tenant, label, actor };
        issue.SetAction((parse, ct) => CliHost.RunAsync(async services =>
        {
            var tenantId = parse.GetValue(tenant)!;
            var key = await services.GetRequiredService<TenantDirectory>().IssueAdditionalKeyAsync(tenantId, parse.GetValue(label)!,
                Actor.Cli(parse.GetValue(actor)), ct);
            if (key is null)
            {
                AnsiConsole.MarkupLine($"[red]No clinic {Markup.Escape(tenantId)}[/]: create it with `commsgw tenant add`.");
                return 2;
            }

            AnsiConsole.MarkupLine("New API key (shown once, store it now):");
            Console.WriteLine(key);
            return 0;
        }, ct));

        var keyId = new Argument<string>("key-id") { Description = "The part before the dot (ck_...)" };
        var revoke = new Command("revoke", "Revoke one of the clinic's API keys: refused from the next request on") { tenant, keyId, actor };
        revoke.SetAction((parse, ct) => CliHost.RunAsync(async services =>
        {
            var tenantId = parse.GetValue(tenant)!;
            var id = parse.GetValue(keyId)!;
            if (!await services.GetRequiredService<TenantDirectory>().RevokeKeyAsync(tenantId, id, Actor.Cli(parse.GetValue(actor)), ct))
            {
                AnsiConsole.MarkupLine($"[red]Clinic {Markup.Escape(tenantId)} has no live key {Markup.Escape(id)}[/] (see `commsgw tenant key list`).");
                return 2;
            }

            AnsiConsole.MarkupLine($"Key [bold]{Markup.Escape(id)}[/] revoked.");
            return 0;
        }, ct));
        return new Command("key", "Manage a clinic's admin API keys") { list, issue, revoke };
    }
}

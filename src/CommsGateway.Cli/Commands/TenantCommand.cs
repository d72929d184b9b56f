using System.CommandLine;
using System.Globalization;
using CommsGateway.Features.Admin;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw tenant add`: creates a clinic and prints a new admin API key, once; `tenant set` changes its policy settings; `tenant key list|issue|revoke` manage its keys.</summary>
internal static class TenantCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("tenant-id") { Description = "The clinic's id, as producers put it in TenantId" };
        var name = new Option<string?>("--name") { Description = "Display name" };
        var basics = new BasicSettingOptions();
        var label = new Option<string>("--key-label") { Description = "Label of the API key issued", DefaultValueFactory = _ => "admin" };
        var actor = CliHost.ActorOption();
        var add = new Command("add", "Create (or update) a clinic and issue a new admin API key") { id, name, basics.Lapse, basics.Region, basics.Zone, label, actor };
        add.SetAction((parse, ct) => CliHost.RunAsync(async services =>
        {
            var settings = new Dictionary<string, object?>();
            string? problem = null;
            basics.Read(parse, settings, ref problem);
            if (problem is not null)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(problem)}[/]");
                return 2;
            }

            var tenantId = parse.GetValue(id)!;
            var key = await services.GetRequiredService<TenantDirectory>().AddTenantAsync(tenantId, parse.GetValue(name) ?? tenantId,
                settings, parse.GetValue(label)!, Actor.Cli(parse.GetValue(actor)), ct);
            AnsiConsole.MarkupLine($"Tenant [bold]{Markup.Escape(tenantId)}[/] ready. Its API key (shown once, store it now):");
            Console.WriteLine(key);
            return 0;
        }, ct));
        return new Command("tenant", "Manage clinics") { add, SetCommand(), KeyCommand() };
    }

    /// <summary>
    /// `tenant set`: changes policy settings of an existing clinic (tenants.settings), merged key by key; unlike
    /// `tenant add` it keeps the display name and issues no key.
    /// </summary>
    private static Command SetCommand()
    {
        var id = new Argument<string>("tenant-id");
        var basics = new BasicSettingOptions();
        var holidays = new Option<string?>("--holiday-country") { Description = "ISO country whose public holidays get no marketing" };
        var windowStart = new Option<string?>("--marketing-window-start") { Description = "Marketing allowed from (local time, HH:mm); before it is quiet hours" };
        var windowEnd = new Option<string?>("--marketing-window-end") { Description = "Marketing allowed until (local time, HH:mm); after it is quiet hours" };
        var cap = new Option<int?>("--marketing-frequency-cap") { Description = "Marketing messages per patient per 7 days" };
        var sundays = new Option<bool?>("--marketing-on-sundays") { Description = "true or false" };
        var quietEmail = new Option<bool?>("--quiet-hours-for-email") { Description = "Apply quiet hours to email too (true or false)" };
        var whatsAppWindow = new Option<bool?>("--whatsapp-window-enforced")
        {
            Description = "Block WhatsApp outside the 24-hour window when no approved template applies (true, the default) or leave it to Twilio (false)",
        };
        var actor = CliHost.ActorOption();
        var set = new Command("set", "Change a clinic's policy settings (merged; name and keys untouched; recorded in admin_audit)")
        {
            id, basics.Lapse, basics.Region, basics.Zone, holidays, windowStart, windowEnd, cap, sundays, quietEmail, whatsAppWindow, actor,
        };
        set.SetAction((parse, ct) =>
        {
            var settings = new Dictionary<string, object?>();
            string? problem = null;
            void Put(string key, object? value) => TenantCommand.Put(settings, key, value);

            basics.Read(parse, settings, ref problem);
            Put("holiday_country", parse.GetValue(holidays) is { } h ? (h.Length == 2 ? h.ToUpperInvariant() : Fail(ref problem, "--holiday-country is a 2-letter ISO code")) : null);
            Put("marketing_window_start", Time(parse.GetValue(windowStart), "--marketing-window-start", ref problem));
            Put("marketing_window_end", Time(parse.GetValue(windowEnd), "--marketing-window-end", ref problem));
            Put("marketing_frequency_cap_per_7_days", parse.GetValue(cap) is { } c && c < 0 ? Fail(ref problem, "--marketing-frequency-cap must be >= 0") : parse.GetValue(cap));
            Put("marketing_on_sundays", parse.GetValue(sundays));
            Put("quiet_hours_for_email", parse.GetValue(quietEmail));
            Put("whatsapp_window_enforced", parse.GetValue(whatsAppWindow));
            if (problem is not null || settings.Count == 0)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(problem ?? "Nothing to set: give at least one setting (see --help).")}[/]");
                return Task.FromResult(2);
            }

            return CliHost.RunAsync(async services =>
            {
                var tenantId = parse.GetValue(id)!;
                if (!await services.GetRequiredService<TenantDirectory>().UpdateSettingsAsync(tenantId, settings, Actor.Cli(parse.GetValue(actor)), ct))
                {
                    AnsiConsole.MarkupLine($"[red]No clinic {Markup.Escape(tenantId)}[/]: create it with `commsgw tenant add`.");
                    return 2;
                }

                AnsiConsole.MarkupLine($"Tenant [bold]{Markup.Escape(tenantId)}[/]: set {Markup.Escape(string.Join(", ", settings.Keys))}.");
                return 0;
            }, ct);
        });
        return set;
    }

    private static void Put(Dictionary<string, object?> settings, string key, object? value)
    {
        if (value is not null)
        {
            settings[key] = value;
        }
    }

    /// <summary>The settings both `tenant add` and `tenant set` take, read and checked the same way.</summary>
    private sealed class BasicSettingOptions
    {
        public Option<int?> Lapse { get; } = new("--consent-lapse-months") { Description = "Marketing consent lapses after this many months without interaction (default 36)" };

        public Option<string?> Region { get; } = new("--default-region") { Description = "ISO region national phone numbers are read in (default FR)" };

        public Option<string?> Zone { get; } = new("--time-zone") { Description = "IANA time zone (default Europe/Paris)" };

        /// <summary>Puts the given ones into <paramref name="settings"/>; the first invalid one sets <paramref name="problem"/>.</summary>
        public void Read(ParseResult parse, Dictionary<string, object?> settings, ref string? problem)
        {
            Put(settings, "consent_lapse_months", parse.GetValue(Lapse) is { } m && m <= 0 ? Fail(ref problem, "--consent-lapse-months must be positive") : parse.GetValue(Lapse));
            Put(settings, "default_region", parse.GetValue(Region) is { } r ? (r.Length == 2 ? r.ToUpperInvariant() : Fail(ref problem, "--default-region is a 2-letter ISO code")) : null);
            Put(settings, "time_zone", parse.GetValue(Zone) is { } z ? (TimeZoneInfo.TryFindSystemTimeZoneById(z, out _) ? z : Fail(ref problem, $"unknown time zone {z}")) : null);
        }
    }

    private static object? Fail(ref string? problem, string message)
    {
        problem ??= message;
        return null;
    }

    /// <summary>"09:00" as the policy reads it (TimeOnly, invariant culture).</summary>
    private static object? Time(string? value, string option, ref string? problem) =>
        value is null ? null
        : TimeOnly.TryParse(value, CultureInfo.InvariantCulture, out var t) ? t.ToString("HH:mm", CultureInfo.InvariantCulture)
        : Fail(ref problem, $"{option}: not a time of day (HH:mm)");

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

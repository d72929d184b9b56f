using System.CommandLine;
using System.Globalization;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Preferences;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw tenant add`: creates a clinic and prints a new admin API key, once; `tenant set` changes its policy settings; `tenant key list|issue|revoke` manage its keys.</summary>
internal static class TenantCommand
{
    public static Command Create(CliEnvironment? environment = null)
    {
        var env = environment ?? CliEnvironment.Terminal;
        var id = new Argument<string>("tenant-id") { Description = "The clinic's id, as producers put it in TenantId" };
        var name = new Option<string?>("--name") { Description = "Display name" };
        var basics = new BasicSettingOptions();
        var label = new Option<string>("--key-label") { Description = "Label of the API key issued", DefaultValueFactory = _ => "admin" };
        var actor = CliHost.ActorOption();
        var identity = IdentityOptions();
        var add = new Command("add", "Create (or update) a clinic with its sender identity and issue a new admin API key")
        {
            id, name, basics.Lapse, basics.Region, basics.Zone, label, actor,
        };
        identity.AddTo(add);
        add.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var settings = new Dictionary<string, object?>();
            string? problem = null;
            basics.Read(parse, settings, ref problem);
            var fields = identity.Read(parse);
            problem ??= fields.Select(f => TenantDirectory.CheckIdentityField(f.Key, f.Value)).OfType<string>().FirstOrDefault();
            if (problem is not null)
            {
                env.Console.MarkupLine($"[red]{Markup.Escape(problem)}[/]");
                return 2;
            }

            var tenantId = parse.GetValue(id)!;
            var sender = fields.Where(f => f.Key != "help_contact").Aggregate(Core.Policy.ClinicSender.None, (acc, f) => acc.With(f.Key, f.Value));
            var key = await services.GetRequiredService<TenantDirectory>().AddTenantAsync(tenantId, parse.GetValue(name) ?? tenantId,
                settings, sender, parse.GetValue(label)!, Actor.Cli(parse.GetValue(actor)), ct, fields.GetValueOrDefault("help_contact"));
            env.Console.MarkupLine($"Tenant [bold]{Markup.Escape(tenantId)}[/] ready. Its API key (shown once, store it now):");
            env.Out.WriteLine(key);
            foreach (var channel in new[] { Contracts.Channel.Email, Contracts.Channel.Sms, Contracts.Channel.WhatsApp }.Where(c => !sender.CanSend(c)))
            {
                // Not an error: a clinic may not use every channel. But its messages there will be Blocked NoSenderIdentity.
                env.Error.WriteLine($"Note: no {Contracts.WireNames.Of(channel)} sender: messages on that channel are blocked (NoSenderIdentity) until `commsgw tenant sender {tenantId} ...`.");
            }

            return 0;
        }, ct));
        return new Command("tenant", "Manage clinics") { add, SetCommand(env), SenderCommand(env), KeyCommand(env), OperatorKeyCommand(env) };
    }

    /// <summary>
    /// Options that each set one stored text field of the clinic (an empty value clears it): the sender identity of
    /// `tenant add`, `tenant set` and `tenant sender`, and the patient pages' brand of `tenant set`.
    /// </summary>
    private sealed class FieldOptions(IEnumerable<(string Field, string Description)> fields)
    {
        private readonly Dictionary<string, Option<string?>> _options = fields.ToDictionary(
            f => f.Field,
            f => new Option<string?>("--" + f.Field.Replace('_', '-')) { Description = f.Description },
            StringComparer.Ordinal);

        public void AddTo(Command command)
        {
            foreach (var option in _options.Values)
            {
                command.Options.Add(option);
            }
        }

        /// <summary>The fields given on the command line, by stored name.</summary>
        public Dictionary<string, string?> Read(ParseResult parse) => _options
            .Where(o => parse.GetResult(o.Value) is not null)
            .ToDictionary(o => o.Key, o => parse.GetValue(o.Value)?.Trim(), StringComparer.Ordinal);
    }

    private static FieldOptions IdentityOptions() => new(TenantDirectory.IdentityFields.Select(f => (f, f switch
    {
        "email_from" => "Email sender address (From)",
        "email_from_name" => "Email sender display name",
        "reply_to" => "Email Reply-To address",
        "sms_from" => "SMS sender: E.164 number or short code",
        "messaging_service_sid" => "Twilio Messaging Service (MG...) that picks the SMS sender; preferred over --sms-from",
        "whatsapp_from" => "WhatsApp sender, E.164 (no whatsapp: prefix)",
        "whatsapp_marketing_content_sid" => "Approved WhatsApp template (HX...) for marketing outside the 24-hour window",
        "whatsapp_unsubscribe_variable" => "The template's content variable that shows the unsubscribe link (e.g. 3)",
        "help_contact" => "Answered to HELP/AIDE/INFO after the clinic's name (phone, email)",
        _ => f,
    })));

    private static FieldOptions BrandOptions() => new([
        ("brand_name", "Name shown on the patient pages (default: the clinic's name)"),
        ("brand_logo_url", "Logo on the patient pages: an https URL (square, shown at 48 px)"),
        ("brand_color", "Button and link colour, #rrggbb, at least 4.5:1 against white"),
        ("brand_contact", "How patients reach the clinic (phone, email), shown on every page"),
        ("privacy_notice_url", "The clinic's privacy notice: an https URL, linked from every page"),
    ]);

    /// <summary>`tenant sender`: sets only the sender identity (same options as `tenant set`), effective for the next decision.</summary>
    private static Command SenderCommand(CliEnvironment env)
    {
        var id = new Argument<string>("tenant-id");
        var identity = IdentityOptions();
        var actor = CliHost.ActorOption();
        var show = new Option<bool>("--show") { Description = "Print the stored identity (after any change)" };
        var command = new Command("sender", "Set (or --show) a clinic's sender identity: email from/reply-to, SMS sender or Messaging Service, WhatsApp number and template")
        {
            id, actor, show,
        };
        identity.AddTo(command);
        command.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var tenantId = parse.GetValue(id)!;
            var directory = services.GetRequiredService<TenantDirectory>();
            var fields = identity.Read(parse);
            if (fields.Count > 0 && await ApplyIdentityAsync(env, directory, tenantId, fields, Actor.Cli(parse.GetValue(actor)), ct) is { } failed)
            {
                return failed;
            }

            if (fields.Count == 0 && !parse.GetValue(show))
            {
                env.Console.MarkupLine("[red]Nothing to set: give at least one sender option, or --show (see --help).[/]");
                return 2;
            }

            if (parse.GetValue(show))
            {
                if (await directory.FindAsync(tenantId, ct) is not { } info)
                {
                    env.Console.MarkupLine($"[red]No clinic {Markup.Escape(tenantId)}[/]");
                    return 2;
                }

                var s = info.Sender;
                foreach (var (field, value) in new (string, string?)[]
                {
                    ("email_from", s.EmailFrom), ("email_from_name", s.EmailFromName), ("reply_to", s.ReplyTo), ("sms_from", s.SmsFrom),
                    ("messaging_service_sid", s.MessagingServiceSid), ("whatsapp_from", s.WhatsAppFrom),
                    ("whatsapp_marketing_content_sid", s.WhatsAppMarketingContentSid), ("whatsapp_unsubscribe_variable", s.WhatsAppUnsubscribeVariable),
                    ("help_contact", info.HelpContact),
                })
                {
                    env.Out.WriteLine($"{field}: {value ?? "-"}");
                }
            }

            return 0;
        }, ct));
        return command;
    }

    /// <summary>Null when stored, else the exit code after printing why not.</summary>
    private static async Task<int?> ApplyIdentityAsync(CliEnvironment env, TenantDirectory directory, string tenantId, Dictionary<string, string?> fields, Actor actor, CancellationToken ct)
    {
        var result = await directory.UpdateIdentityAsync(tenantId, fields, actor, ct);
        env.Refused(result.Errors);
        if (!result.Found)
        {
            env.Console.MarkupLine($"[red]No clinic {Markup.Escape(tenantId)}[/]: create it with `commsgw tenant add`.");
        }

        if (!result.Ok)
        {
            return 2;
        }

        env.Console.MarkupLine($"Tenant [bold]{Markup.Escape(tenantId)}[/]: sender {Markup.Escape(string.Join(", ", fields.Keys))} stored.");
        return null;
    }

    /// <summary>`tenant operator-key issue`: a key that belongs to no clinic, for the admin API's clinic management.</summary>
    private static Command OperatorKeyCommand(CliEnvironment env)
    {
        var label = new Option<string>("--label") { Description = "What the key is for (e.g. onboarding tool)", Required = true };
        var actor = CliHost.ActorOption();
        var issue = new Command("issue", "Issue an operator key (adds clinics and sets sender identities through the API; no patient access), shown once")
        {
            label, actor,
        };
        issue.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var key = await services.GetRequiredService<TenantDirectory>().IssueOperatorKeyAsync(parse.GetValue(label)!, Actor.Cli(parse.GetValue(actor)), ct);
            env.Console.MarkupLine("New operator key (shown once, store it now):");
            env.Out.WriteLine(key);
            return 0;
        }, ct));
        return new Command("operator-key", "Manage operator keys (clinic management through the admin API)") { issue };
    }

    /// <summary>
    /// `tenant set`: changes policy settings of an existing clinic (tenants.settings), merged key by key; unlike
    /// `tenant add` it keeps the display name and issues no key.
    /// </summary>
    private static Command SetCommand(CliEnvironment env)
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
        var set = new Command("set", "Change a clinic's policy settings and sender identity (merged; name and keys untouched; recorded in admin_audit)")
        {
            id, basics.Lapse, basics.Region, basics.Zone, holidays, windowStart, windowEnd, cap, sundays, quietEmail, whatsAppWindow, actor,
        };
        var identity = IdentityOptions();
        identity.AddTo(set);
        var brand = BrandOptions();
        brand.AddTo(set);
        var origins = new Option<string[]>("--capture-form-origin")
        {
            Description = "An https origin allowed to embed the clinic's hosted consent form in an iframe (repeat it; an empty value clears the list)",
            AllowMultipleArgumentsPerToken = false,
        };
        set.Options.Add(origins);
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
            var fields = identity.Read(parse);
            problem ??= fields.Select(f => TenantDirectory.CheckIdentityField(f.Key, f.Value)).OfType<string>().FirstOrDefault();
            var brandFields = brand.Read(parse);
            problem ??= brandFields.Select(f => Core.Preferences.ClinicBrand.Check(f.Key, f.Value)).OfType<string>().FirstOrDefault();
            var originValues = parse.GetResult(origins) is null ? null : (parse.GetValue(origins) ?? []).Where(o => o.Length > 0).ToList();
            var normalisedOrigins = originValues?.Select(Core.Preferences.CaptureFormOrigins.Normalise).ToList();
            if (normalisedOrigins is not null && normalisedOrigins.Any(o => o is null))
            {
                problem ??= $"--capture-form-origin: '{originValues![normalisedOrigins.IndexOf(null)]}' is not an https origin (https://host[:port], no path)";
            }

            if (problem is not null || (settings.Count == 0 && fields.Count == 0 && brandFields.Count == 0 && normalisedOrigins is null))
            {
                env.Console.MarkupLine($"[red]{Markup.Escape(problem ?? "Nothing to set: give at least one setting (see --help).")}[/]");
                return Task.FromResult(2);
            }

            return env.RunAsync(async services =>
            {
                var tenantId = parse.GetValue(id)!;
                var directory = services.GetRequiredService<TenantDirectory>();
                if (fields.Count > 0 && await ApplyIdentityAsync(env, directory, tenantId, fields, Actor.Cli(parse.GetValue(actor)), ct) is { } failed)
                {
                    return failed;
                }

                if (brandFields.Count > 0)
                {
                    var refused = await services.GetRequiredService<Features.Preferences.ClinicBrands>().UpdateAsync(tenantId, brandFields,
                        Actor.Cli(parse.GetValue(actor)), ct);
                    if (refused is null)
                    {
                        env.Console.MarkupLine($"[red]No clinic {Markup.Escape(tenantId)}[/]: create it with `commsgw tenant add`.");
                        return 2;
                    }

                    if (refused.Count > 0)
                    {
                        env.Console.MarkupLine($"[red]{Markup.Escape(string.Join("; ", refused))}[/]");
                        return 2;
                    }

                    env.Console.MarkupLine($"Tenant [bold]{Markup.Escape(tenantId)}[/]: patient pages set ({Markup.Escape(string.Join(", ", brandFields.Keys))}).");
                }

                if (normalisedOrigins is not null)
                {
                    var list = normalisedOrigins.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
                    if (!await services.GetRequiredService<Features.Preferences.CaptureFormOriginStore>().SetAsync(tenantId, list, Actor.Cli(parse.GetValue(actor)), ct))
                    {
                        env.Console.MarkupLine($"[red]No clinic {Markup.Escape(tenantId)}[/]: create it with `commsgw tenant add`.");
                        return 2;
                    }

                    env.Console.MarkupLine($"Tenant [bold]{Markup.Escape(tenantId)}[/]: capture form embeddable from {Markup.Escape(list.Count == 0 ? "nowhere" : string.Join(", ", list))}.");
                }

                if (settings.Count == 0)
                {
                    return 0;
                }

                if (!await directory.UpdateSettingsAsync(tenantId, settings, Actor.Cli(parse.GetValue(actor)), ct))
                {
                    env.Console.MarkupLine($"[red]No clinic {Markup.Escape(tenantId)}[/]: create it with `commsgw tenant add`.");
                    return 2;
                }

                env.Console.MarkupLine($"Tenant [bold]{Markup.Escape(tenantId)}[/]: set {Markup.Escape(string.Join(", ", settings.Keys))}.");
                return 0;
            }, ct, builder => builder.AddPreferenceAdmin());
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
    private static Command KeyCommand(CliEnvironment env)
    {
        var actor = CliHost.ActorOption();
        var tenant = new Argument<string>("tenant-id");
        var list = new Command("list", "List the clinic's API keys (ids, labels, dates; never secrets)") { tenant };
        list.SetAction((parse, ct) => env.RunAsync(async services =>
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

            env.Console.Write(table);
            return 0;
        }, ct));

        var label = new Option<string>("--label") { Description = "What the key is for (e.g. booking system)", Required = true };
        var issue = new Command("issue", "Issue another API key for the clinic, shown once") { tenant, label, actor };
        issue.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var tenantId = parse.GetValue(tenant)!;
            var key = await services.GetRequiredService<TenantDirectory>().IssueAdditionalKeyAsync(tenantId, parse.GetValue(label)!,
                Actor.Cli(parse.GetValue(actor)), ct);
            if (key is null)
            {
                env.Console.MarkupLine($"[red]No clinic {Markup.Escape(tenantId)}[/]: create it with `commsgw tenant add`.");
                return 2;
            }

            env.Console.MarkupLine("New API key (shown once, store it now):");
            env.Out.WriteLine(key);
            return 0;
        }, ct));

        var keyId = new Argument<string>("key-id") { Description = "The part before the dot (ck_...)" };
        var revoke = new Command("revoke", "Revoke one of the clinic's API keys: refused from the next request on") { tenant, keyId, actor };
        revoke.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var tenantId = parse.GetValue(tenant)!;
            var id = parse.GetValue(keyId)!;
            if (!await services.GetRequiredService<TenantDirectory>().RevokeKeyAsync(tenantId, id, Actor.Cli(parse.GetValue(actor)), ct))
            {
                env.Console.MarkupLine($"[red]Clinic {Markup.Escape(tenantId)} has no live key {Markup.Escape(id)}[/] (see `commsgw tenant key list`).");
                return 2;
            }

            env.Console.MarkupLine($"Key [bold]{Markup.Escape(id)}[/] revoked.");
            return 0;
        }, ct));
        return new Command("key", "Manage a clinic's admin API keys") { list, issue, revoke };
    }
}

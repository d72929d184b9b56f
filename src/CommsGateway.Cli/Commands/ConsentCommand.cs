using System.CommandLine;
using CommsGateway.Core.Consent;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Consent;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw consent grant|withdraw|show`: the ledger, through the same class as the admin API.</summary>
internal static class ConsentCommand
{
    public static Command Create(CliEnvironment? environment = null)
    {
        var env = environment ?? CliEnvironment.Terminal;
        return new("consent", "Record and show consent (per purpose, per channel, with evidence)")
        {
            Record(env, ConsentAction.Grant), Record(env, ConsentAction.Withdraw), Show(env), FormLink(env), Wording(env),
        };
    }

    /// <summary>`consent wording add|list`: the clinic's own consent texts, shown on its patient pages and capture form.</summary>
    private static Command Wording(CliEnvironment env)
    {
        static void Configure(IHostApplicationBuilder builder) => Features.Preferences.PreferencesFeature.AddPreferenceAdmin(builder);
        var tenant = CliHost.TenantOption();
        var item = new Option<string>("--item") { Description = "marketing.email | marketing.sms | marketing.whatsapp | photo_marketing.<placement>", Required = true };
        var locale = new Option<string>("--locale") { Description = "fr or en", Required = true };
        var version = new Option<string>("--version") { Description = "A new version id (e.g. clinic-sms-2026-02); never reused for another text", Required = true };
        var textFile = new Option<FileInfo>("--text-file") { Description = "The exact text patients will be shown (UTF-8)", Required = true };
        var actor = CliHost.ActorOption();
        var add = new Command("add", "Register a new consent text (append-only: a changed text is a new version)") { tenant, item, locale, version, textFile, actor };
        add.SetAction((parse, ct) =>
        {
            var file = parse.GetValue(textFile)!;
            if (!file.Exists)
            {
                env.Console.MarkupLine($"[red]--text-file: no such file '{Markup.Escape(file.FullName)}'[/]");
                return Task.FromResult(2);
            }

            return env.RunAsync(async services =>
            {
                var (wording, error) = await services.GetRequiredService<Features.Preferences.WordingCatalogue>().AddAsync(parse.GetValue(tenant)!,
                    parse.GetValue(item)!, parse.GetValue(locale)!, parse.GetValue(version)!, await File.ReadAllTextAsync(file.FullName, ct),
                    Actor.Cli(parse.GetValue(actor)), ct);
                if (wording is null)
                {
                    env.Console.MarkupLine($"[red]{Markup.Escape(error ?? "refused")}[/]");
                    return 2;
                }

                env.Out.WriteLine($"{wording.Version} sha256 {wording.Sha256}");
                return 0;
            }, ct, Configure);
        });

        var listTenant = CliHost.TenantOption();
        var list = new Command("list", "The clinic's registered consent texts, oldest first (the latest per item and language is shown to patients)") { listTenant };
        list.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var rows = await services.GetRequiredService<Features.Preferences.WordingCatalogue>().ListAsync(parse.GetValue(listTenant)!, ct);
            var table = new Table().AddColumns(new TableColumn("version").NoWrap(), new TableColumn("item"), new TableColumn("locale"),
                new TableColumn("sha256").NoWrap(), new TableColumn("registered (UTC)").NoWrap(), new TableColumn("by"));
            foreach (var r in rows)
            {
                table.AddRow(Markup.Escape(r.Version), Markup.Escape(r.Item), r.Locale, r.Sha256[..12],
                    r.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(r.CreatedBy));
            }

            env.Console.Write(table);
            return 0;
        }, ct, Configure));
        return new Command("wording", "A clinic's own consent texts for its patient pages and capture form") { add, list };
    }

    /// <summary>`consent form-link`: the clinic's hosted consent form for one patient (send it, or open it on a tablet at the desk).</summary>
    private static Command FormLink(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var patient = CliHost.PatientOption();
        var locale = new Option<string>("--locale") { Description = "fr or en (the form has a language switch)", DefaultValueFactory = _ => "fr" };
        var command = new Command("form-link", "Print the signed link of the clinic's consent form for a patient (valid 30 days; no personal data in it)")
        {
            tenant, patient, locale,
        };
        command.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var (t, p) = (parse.GetValue(tenant)!, parse.GetValue(patient)!);
            var ledger = services.GetRequiredService<ConsentLedger>();
            if (await ledger.CurrentAsync(t, p, ct) is null)
            {
                env.Console.MarkupLine("[red]No such patient for this tenant.[/]");
                return 3;
            }

            var link = await services.GetRequiredService<Features.Preferences.CaptureFormLinks>().IssueAsync(t, p,
                Core.Unsubscribe.UnsubscribeLocales.From(parse.GetValue(locale)), ct);
            env.Out.WriteLine(link.AbsoluteUri);
            return 0;
        }, ct, builder =>
        {
            builder.Services.AddOptions<Hosting.GatewayOptions>().BindConfiguration(Hosting.GatewayOptions.Section);
            Features.Unsubscribe.UnsubscribeFeature.AddUnsubscribe(builder);
            Features.Preferences.PreferencesFeature.AddPreferenceAdmin(builder);
            builder.Services.AddSingleton<Features.Preferences.CaptureFormLinks>();
        }));
        return command;
    }

    private static Command Record(CliEnvironment env, ConsentAction action)
    {
        var grant = action == ConsentAction.Grant;
        var tenant = CliHost.TenantOption();
        var patient = CliHost.PatientOption();
        var purpose = new Option<string>("--purpose") { Description = "marketing | service | photo_marketing", DefaultValueFactory = _ => "marketing" };
        var channels = new Option<string[]>("--channel") { Description = "email | sms | whatsapp (a grant takes exactly one)", AllowMultipleArgumentsPerToken = true };
        var placement = new Option<string?>("--placement") { Description = "photo_marketing: newsletter | social_media | website | flyer | billboard | other" };
        var source = new Option<string>("--source") { Description = "web_form | paper_form | staff_entry | sms_start | import ...", DefaultValueFactory = _ => "staff_entry" };
        var wordingVersion = new Option<string?>("--wording-version") { Description = "Version id of the consent text shown" };
        var wordingSha = new Option<string?>("--wording-sha256") { Description = "Hex SHA-256 of the exact text shown" };
        var wordingFile = new Option<FileInfo?>("--wording-file") { Description = "The text shown; its SHA-256 is computed for you" };
        var capturedBy = new Option<string?>("--captured-by") { Description = "Who or what captured it" };
        var occurredAt = new Option<DateTimeOffset?>("--occurred-at") { Description = "When the patient gave or withdrew it (default now)" };
        var preTicked = new Option<bool>("--pre-ticked") { Description = "The form's box was ticked in advance (the grant will be refused)" };
        var actor = CliHost.ActorOption();
        var command = new Command(grant ? "grant" : "withdraw", grant ? "Record a grant with its evidence" : "Record a withdrawal, effective at once")
        {
            tenant, patient, purpose, channels, placement, source, occurredAt, actor,
        };
        if (grant)
        {
            command.Options.Add(wordingVersion);
            command.Options.Add(wordingSha);
            command.Options.Add(wordingFile);
            command.Options.Add(capturedBy);
            command.Options.Add(preTicked);
        }

        command.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var sha = parse.GetValue(wordingSha);
            if (parse.GetValue(wordingFile) is { } file)
            {
                sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(file.FullName, ct)));
            }

            var cliActor = Actor.Cli(parse.GetValue(actor));
            var consent = new Core.Consent.ConsentCommand
            {
                TenantId = parse.GetValue(tenant)!,
                PatientId = parse.GetValue(patient)!,
                Action = action,
                Purposes = [parse.GetValue(purpose)!],
                Channels = parse.GetValue(channels) ?? [],
                Placement = parse.GetValue(placement),
                OccurredAt = parse.GetValue(occurredAt),
                Evidence = new ConsentEvidence
                {
                    Source = parse.GetValue(source), WordingVersion = parse.GetValue(wordingVersion), WordingSha256 = sha,
                    CapturedBy = parse.GetValue(capturedBy) ?? (grant ? cliActor.ToString() : null), PreTicked = parse.GetValue(preTicked),
                },
            };
            var result = grant
                ? await services.GetRequiredService<ConsentLedger>().RecordAsync(consent, cliActor, ct)
                : await services.GetRequiredService<OptOuts>().WithdrawAsync(consent, cliActor, ct);
            if (!result.PatientFound)
            {
                env.Console.MarkupLine("[red]No such patient for this tenant.[/]");
                return 3;
            }

            if (env.Refused(result.Errors.Select(e => $"{e.Code}: {e.Message}")))
            {
                return 2;
            }

            env.Console.MarkupLine($"[green]Recorded[/] ledger event(s) {string.Join(", ", result.EventIds)}.");
            return 0;
        }, ct));
        return command;
    }

    private static Command Show(CliEnvironment env)
    {
        var tenant = CliHost.TenantOption();
        var patient = CliHost.PatientOption();
        var history = new Option<bool>("--history") { Description = "Every grant and withdrawal with its evidence" };
        var command = new Command("show", "Current consent state (or full history) of a patient") { tenant, patient, history };
        command.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var ledger = services.GetRequiredService<ConsentLedger>();
            var (t, p) = (parse.GetValue(tenant)!, parse.GetValue(patient)!);
            if (parse.GetValue(history))
            {
                var events = await ledger.HistoryAsync(t, p, ct);
                if (events is null)
                {
                    env.Console.MarkupLine("[red]No such patient for this tenant.[/]");
                    return 3;
                }

                var table = new Table().Border(TableBorder.Rounded)
                    .AddColumns("Event", "Action", "Purpose", "Channel", "Occurred", "Source", "Wording", "Captured by", "Recorded by");
                foreach (var e in events)
                {
                    table.AddRow(e.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Action, e.Purpose,
                        Markup.Escape(e.Channel ?? e.Placement ?? ""), e.OccurredAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture),
                        Markup.Escape(e.Source), Markup.Escape($"{e.WordingVersion} {e.WordingSha256?[..Math.Min(12, e.WordingSha256.Length)]}"),
                        Markup.Escape(e.CapturedBy ?? ""), Markup.Escape(e.RecordedBy));
                }

                env.Console.Write(table);
                return 0;
            }

            var current = await ledger.CurrentAsync(t, p, ct);
            if (current is null)
            {
                env.Console.MarkupLine("[red]No such patient for this tenant.[/]");
                return 3;
            }

            var state = new Table().Border(TableBorder.Rounded).AddColumns("Purpose", "Channel / placement", "State", "Since", "Event");
            foreach (var c in current)
            {
                var label = !c.Granted ? "[red]withdrawn[/]" : c.Lapsed ? "[yellow]lapsed[/]" : "[green]granted[/]";
                state.AddRow(c.Purpose, Markup.Escape(c.Channel ?? c.Placement ?? ""), label,
                    c.OccurredAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture), c.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            env.Console.Write(state);
            return 0;
        }, ct));
        return command;
    }
}

using System.CommandLine;
using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Contacts;
using CommsGateway.FakeProviders;
using CommsGateway.Hosting;
using Dapper;
using MassTransit;
using Npgsql;
using RabbitMQ.Client;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// `commsgw demo`: starts the gateway in-process, publishes a handful of intents (MassTransit envelope and
/// plain JSON, valid and broken) and prints each decision as the database commits it.
/// </summary>
internal static class DemoCommand
{
    public const string Tenant = "demo-clinic";
    private const int FakePort = 5090;

    private static Dictionary<string, string?> FakeSettings(FakeProviderServer fake) => new()
    {
        ["SendGrid:ApiKey"] = fake.Options.SendGridApiKey,
        ["SendGrid:Host"] = fake.BaseUrl,
        ["Twilio:AccountSid"] = fake.Options.TwilioAccountSid,
        ["Twilio:AuthToken"] = fake.Options.TwilioAuthToken,
        ["Twilio:BaseUrl"] = fake.BaseUrl,
        ["FakeProviders:BaseUrl"] = fake.BaseUrl,
    };

    /// <summary>The demo clinic's own sender identity, stored with it (there is no gateway-wide default sender).</summary>
    private static readonly Core.Policy.ClinicSender DemoSender = new()
    {
        EmailFrom = "rendez-vous@clinique-des-lilas.example", EmailFromName = "Clinique des Lilas", SmsFrom = "36180", WhatsAppFrom = "+33700000000",
    };

    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where the gateway listens", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var exit = new Option<bool>("--exit") { Description = "Stop after the demo instead of serving until Ctrl+C" };
        var providersPort = new Option<int>("--providers-port")
        {
            Description = "Port of the local fake SendGrid/Twilio (0: any free port)", DefaultValueFactory = _ => FakePort,
        };
        var command = new Command("demo", "Run the gateway with a demo producer and watch the decisions") { urls, exit, providersPort };
        command.SetAction(async (parse, ct) =>
        {
            // The demo sends to the local fake providers and serves /dev/outbox (Development environment).
            await using var fake = await FakeProviderServer.StartAsync(port: parse.GetValue(providersPort), ct: ct);
            var app = GatewayHost.Build(RunCommand.GatewayArgs(parse.GetValue(urls)!, "--environment", "Development"), builder =>
            {
                builder.Configuration.AddInMemoryCollection(FakeSettings(fake));
                // The live table is the demo's output: keep the console for warnings, and MassTransit's fault
                // report of the deliberately malformed message out of it (the sweeper records it as a decision).
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Logging:LogLevel:Default"] = "Warning",
                    ["Logging:LogLevel:MassTransit"] = "Critical",
                    ["Logging:LogLevel:CommsGateway.Features.Intents.ErrorQueueSweeper"] = "Error",
                });
            });
            await app.StartAsync(ct);
            AnsiConsole.MarkupLine($"[grey]What patients receive: {Markup.Escape(parse.GetValue(urls)!)}/dev/outbox[/]");
            try
            {
                await RunScenarioAsync(app.Services, fake, ct);
                await DemoConsole.SeedAsync(app.Services, Tenant, ct);
                DemoConsole.Print(parse.GetValue(urls)!);
                if (!parse.GetValue(exit))
                {
                    AnsiConsole.MarkupLine($"[grey]Gateway still serving on {Markup.Escape(parse.GetValue(urls)!)}; Ctrl+C to stop.[/]");
                    await app.WaitForShutdownAsync(ct);
                }
            }
            finally
            {
                await app.StopAsync(CancellationToken.None);
            }

            return 0;
        });
        return command;
    }

    private static async Task RunScenarioAsync(IServiceProvider services, FakeProviderServer fake, CancellationToken ct)
    {
        await SeedClinicAsync(services, ct);
        var run = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var bus = services.GetRequiredService<IBus>();
        var intents = DemoIntents(run);
        var expected = intents.Select(i => i.IntentId).ToList();

        foreach (var intent in intents)
        {
            await bus.Publish(intent, ct);
        }

        // The same reminder again: decided once, the repeat is a Duplicate and nothing is sent twice.
        await bus.Publish(intents[0], ct);

        // Producers without MassTransit publish plain JSON straight to the queue.
        var rabbit = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RabbitMqOptions>>().Value;
        var raw = new (string Id, string Json)[]
        {
            ($"demo-{run}-raw-sms", $$"""{"intentId":"demo-{{run}}-raw-sms","tenantId":"{{Tenant}}","producer":"php-booking","patientId":"p-1002","channel":"sms","declaredPurpose":"service","category":"appointment_reminder","body":"Rappel : RDV demain 10h30 chez le Dr Martin. Répondez ANNULER pour annuler."}"""),
            ($"demo-{run}-raw-fax", $$"""{"intentId":"demo-{{run}}-raw-fax","tenantId":"{{Tenant}}","producer":"php-booking","patientId":"p-1002","channel":"fax","body":"hello"}"""),
            ($"demo-{run}-raw-broken", $$"""{"intentId":"demo-{{run}}-raw-broken","tenantId":"{{Tenant}}", "body": "unterminated"""),
        };
        await PublishRawAsync(rabbit, services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayOptions>>().Value.IntentQueue, raw, ct);
        // The unparseable one cannot name its intent: the sweeper keys its Rejected decision on the message id.
        expected.AddRange(raw.Select(r => r.Id.EndsWith("-raw-broken", StringComparison.Ordinal) ? "rejected:" + r.Id : r.Id));

        await WatchDecisionsAsync(services.GetRequiredService<NpgsqlDataSource>(), expected, ct);

        // A decision to send is committed BEFORE the provider call (claim, then send): give the send a moment to land.
        var promo = fake.Accepted.FirstOrDefault(m => m.IntentId == $"demo-{run}-promo");
        for (var waited = 0; promo is null && waited < 50 && await PromoWasSentAsync(services, $"demo-{run}-promo", ct); waited++)
        {
            await Task.Delay(200, ct);
            promo = fake.Accepted.FirstOrDefault(m => m.IntentId == $"demo-{run}-promo");
        }

        if (promo is not null && promo.Headers.TryGetValue("List-Unsubscribe", out var listUnsubscribe))
        {
            var link = listUnsubscribe.Split(',')[0].Trim().TrimStart('<').TrimEnd('>');
            AnsiConsole.MarkupLine("[bold]The marketing email carried its unsubscribe means[/] (RFC 2369 / RFC 8058 headers and a footer):");
            Console.WriteLine($"  List-Unsubscribe: {listUnsubscribe}");
            AnsiConsole.MarkupLine($"  List-Unsubscribe-Post: {Markup.Escape(promo.Headers.GetValueOrDefault("List-Unsubscribe-Post") ?? "(missing)")}");
            AnsiConsole.MarkupLine("[bold]Unsubscribe as the patient would[/] (open it in a browser while the demo serves):");
            // Plain console writes: a wrapped link is not clickable.
            Console.WriteLine(link);
            Console.WriteLine($"  or one-click: curl -X POST -d 'List-Unsubscribe=One-Click' '{link}'");
            AnsiConsole.MarkupLine("  then run the demo again: the same promotion is Blocked with NoMarketingConsent, citing the withdrawal.");
            // The footer's preference-centre link: the same signed token under /p/.
            var preferences = link.Replace("/u/", "/p/", StringComparison.Ordinal);
            AnsiConsole.MarkupLine("[bold]Manage the preferences as the patient would[/] (every channel, photo use, receipt; an email re-grant confirmed from the fake SendGrid's /dev/outbox):");
            Console.WriteLine(preferences);
        }
    }

    private static async Task<bool> PromoWasSentAsync(IServiceProvider services, string intentId, CancellationToken ct)
    {
        await using var connection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from decisions where tenant_id = @tenant and intent_id = @intentId and outcome = 'Sent')",
            new { tenant = Tenant, intentId }, cancellationToken: ct));
    }

    /// <summary>
    /// The demo clinic and its patients, through the same services the admin API uses: Camille consented to
    /// email marketing (web form), Jean has only a mobile and no marketing consent, Amélie refused WhatsApp.
    /// </summary>
    private static async Task SeedClinicAsync(IServiceProvider services, CancellationToken ct)
    {
        var actor = new Actor("demo");
        var db = services.GetRequiredService<NpgsqlDataSource>();
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            if (await connection.ExecuteScalarAsync<bool>("select exists (select 1 from tenants where tenant_id = @Tenant)", new { Tenant }))
            {
                // A demo database from before senders were stored with the clinic: give the clinic its own.
                await services.GetRequiredService<TenantDirectory>().SeedSendersAsync(
                    new Dictionary<string, Core.Policy.ClinicSender> { [Tenant] = DemoSender }, actor, ct);
                return;
            }
        }

        // A high frequency cap, so the demo can be run again and again and still show the promotion going out
        // (the default, 3 marketing messages per patient per 7 days, would block it from the fourth run on).
        await services.GetRequiredService<TenantDirectory>().AddTenantAsync(Tenant, "Clinique des Lilas",
            new Dictionary<string, object?> { ["marketing_frequency_cap_per_7_days"] = 1000 }, DemoSender, "demo", actor, ct,
            helpContact: "01 23 45 67 89, accueil@clinique-des-lilas.example");
        var contacts = services.GetRequiredService<ContactDirectory>();
        await contacts.UpsertAsync(Tenant, "p-1001", new ContactDetails { FirstName = "Camille", Email = "camille.durand@example.org", Phone = "06 12 34 56 78", Locale = "fr", TimeZone = "Europe/Paris" }, actor, null, ct);
        await contacts.UpsertAsync(Tenant, "p-1002", new ContactDetails { FirstName = "Jean", Phone = "+33 7 81 22 33 44", Locale = "fr", TimeZone = "Europe/Paris" }, actor, null, ct);
        await contacts.UpsertAsync(Tenant, "p-1003", new ContactDetails { FirstName = "Amélie", Email = "amelie@example.org", Phone = "06 98 76 54 32", Locale = "fr", TimeZone = "Europe/Paris" }, actor, null, ct);

        var ledger = services.GetRequiredService<ConsentLedger>();
        var wording = "J'accepte de recevoir les offres de la Clinique des Lilas par e-mail.";
        await ledger.RecordAsync(new Core.Consent.ConsentCommand
        {
            TenantId = Tenant, PatientId = "p-1001", Action = ConsentAction.Grant, Purposes = ["marketing"], Channels = ["email"],
            Evidence = new ConsentEvidence
            {
                Source = "web_form", WordingVersion = "mkt-email-v2", CapturedBy = "booking-portal",
                WordingSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(wording))),
                FormUrl = "https://clinique-des-lilas.example/preferences", Ip = "203.0.113.10", UserAgent = "Mozilla/5.0",
            },
        }, actor, ct);
        await ledger.RecordAsync(new Core.Consent.ConsentCommand
        {
            TenantId = Tenant, PatientId = "p-1003", Action = ConsentAction.Withdraw, Purposes = ["service"], Channels = ["whatsapp"],
            Evidence = new ConsentEvidence { Source = "staff_entry", CapturedBy = "reception" },
        }, actor, ct);
    }

    private static List<MessageIntent> DemoIntents(string run) =>
    [
        new()
        {
            IntentId = $"demo-{run}-reminder", TenantId = Tenant, Producer = "booking", PatientId = "p-1001",
            Channel = Channel.Email, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder", Locale = "fr",
            Subject = "Votre rendez-vous de demain", Body = "Bonjour Camille, nous vous rappelons votre rendez-vous demain à 10h30 avec le Dr Martin.",
            ExpiresAt = DateTimeOffset.UtcNow.AddDays(1),
        },
        new()
        {
            IntentId = $"demo-{run}-promo", TenantId = Tenant, Producer = "campaigns", PatientId = "p-1001",
            Channel = Channel.Email, DeclaredPurpose = Purpose.Marketing, Category = "campaign", CampaignId = "printemps", Locale = "fr",
            Subject = "Offre de printemps", Body = "-20 % sur tous les peelings ce mois-ci : réservez vite !",
            Html = "<p>-20 % sur tous les peelings ce mois-ci : <a href=\"https://clinique-des-lilas.example/rdv\">réservez vite</a> !</p>",
        },
        new()
        {
            // A promotion slipped into a reminder, to a patient without marketing consent: the producer says "service".
            IntentId = $"demo-{run}-sneaky", TenantId = Tenant, Producer = "booking", PatientId = "p-1002",
            Channel = Channel.Sms, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder",
            Body = "Rappel : RDV jeudi 14h. Profitez de -30 % sur nos soins visage ce mois-ci !",
        },
        new()
        {
            // The same idea done right: the promotion is a block marked marketing, so it is removed and the reminder goes.
            IntentId = $"demo-{run}-blocks", TenantId = Tenant, Producer = "booking", PatientId = "p-1002",
            Channel = Channel.Sms, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder",
            Body = "Rappel : RDV jeudi 14h avec le Dr Martin.",
            Blocks = [new ContentBlock { Kind = Purpose.Marketing, Text = "Profitez de -30 % sur nos soins visage !" }],
        },
        new()
        {
            IntentId = $"demo-{run}-whatsapp", TenantId = Tenant, Producer = "booking", PatientId = "p-1003",
            Channel = Channel.WhatsApp, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder",
            Body = "Rappel : votre rendez-vous est demain à 9h.",
        },
        new()
        {
            IntentId = $"demo-{run}-misdirected", TenantId = Tenant, Producer = "booking", PatientId = "p-1003",
            Channel = Channel.Email, DeclaredPurpose = Purpose.Service, Category = "results_available",
            Subject = "Vos résultats", Body = "Vos résultats sont disponibles dans votre espace patient.", To = "someone.else@example.org",
        },
        new()
        {
            // A reminder with an invitation the classifier cannot call: held for a person (the console's review queue).
            IntentId = $"demo-{run}-unsure", TenantId = Tenant, Producer = "booking", PatientId = "p-1002",
            Channel = Channel.Sms, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder",
            Body = "Hello Jean, your appointment with Dr Martin is on 12/03 at 14:30. Follow us on Instagram for skin tips.",
        },
        new()
        {
            IntentId = $"demo-{run}-expired", TenantId = Tenant, Producer = "booking", PatientId = "p-1003",
            Channel = Channel.Sms, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder",
            Body = "Rappel : votre rendez-vous est aujourd'hui à 9h.", ExpiresAt = DateTimeOffset.UtcNow.AddHours(-1),
        },
        new()
        {
            IntentId = $"demo-{run}-huge", TenantId = Tenant, Producer = "booking", PatientId = "p-1003",
            Channel = Channel.Sms, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder",
            Body = new string('x', 5_000),
        },
    ];

    private static async Task PublishRawAsync(RabbitMqOptions rabbit, string queue, IEnumerable<(string Id, string Json)> messages, CancellationToken ct)
    {
        await using var connection = await rabbit.ConnectAsync("commsgw-demo", ct);
        // As a producer should: each publish completes once the broker confirmed it.
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        foreach (var (id, json) in messages)
        {
            var properties = new BasicProperties { ContentType = "application/json", Persistent = true, MessageId = id };
            await channel.BasicPublishAsync("", queue, mandatory: false, properties, Encoding.UTF8.GetBytes(json), ct);
        }
    }

    private static async Task WatchDecisionsAsync(NpgsqlDataSource db, IReadOnlyCollection<string> intentIds, CancellationToken ct)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Decisions (as committed to PostgreSQL)[/]")
            .AddColumns("Intent", "Channel", "Detected", "Outcome", "Reasons", "Why (first signal or detail)");
        var seen = new HashSet<long>();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        await AnsiConsole.Live(table).StartAsync(async live =>
        {
            while (DateTimeOffset.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                var rows = await connection.QueryAsync<(long Seq, string IntentId, string Channel, string DetectedPurpose, string Outcome, string[] Reasons, string[] Details)>(
                    "select seq, intent_id, channel, detected_purpose, outcome, reasons, details from decisions where intent_id = any(@ids) order by seq",
                    new { ids = intentIds.ToArray() });
                foreach (var row in rows.Where(r => seen.Add(r.Seq)))
                {
                    var name = System.Text.RegularExpressions.Regex.Replace(row.IntentId, @"demo-\d+-", "");
                    table.AddRow(Markup.Escape(name), row.Channel, row.DetectedPurpose, Colour(row.Outcome),
                        Markup.Escape(string.Join(", ", row.Reasons)), Markup.Escape(Shorten(row.Details.FirstOrDefault() ?? "", 60)));
                    live.Refresh();
                }

                if (seen.Count >= intentIds.Count)
                {
                    break;
                }

                await Task.Delay(250, ct);
            }
        });
        AnsiConsole.MarkupLine($"[green]{seen.Count}[/] decisions for {intentIds.Count} published intents (the repeated reminder was a Duplicate and got no second row).");
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    private static string Colour(string outcome) => outcome switch
    {
        "Sent" or "SentWithMarketingRemoved" => $"[green]{outcome}[/]",
        "Blocked" or "Failed" => $"[red]{outcome}[/]",
        "Rejected" => $"[yellow]{outcome}[/]",
        _ => outcome,
    };
}

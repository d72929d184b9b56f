using System.CommandLine;
using System.Text;
using CommsGateway.Contracts;
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
        ["Senders:Default:EmailFrom"] = "rendez-vous@clinique-des-lilas.example",
        ["Senders:Default:EmailFromName"] = "Clinique des Lilas",
        ["Senders:Default:SmsFrom"] = "36180",
        ["Senders:Default:WhatsAppFrom"] = "+33700000000",
    };

    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where the gateway listens", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var exit = new Option<bool>("--exit") { Description = "Stop after the demo instead of serving until Ctrl+C" };
        var command = new Command("demo", "Run the gateway with a demo producer and watch the decisions") { urls, exit };
        command.SetAction(async (parse, ct) =>
        {
            // The demo sends to the local fake providers and serves /dev/outbox (Development environment).
            await using var fake = await FakeProviderServer.StartAsync(port: FakePort, ct: ct);
            var app = GatewayHost.Build(["--urls", parse.GetValue(urls)!, "--environment", "Development"], builder =>
            {
                RunCommand.ConfigureFromGatewayDirectory(builder);
                builder.Configuration.AddInMemoryCollection(FakeSettings(fake));
            });
            await app.StartAsync(ct);
            AnsiConsole.MarkupLine($"[grey]What patients receive: {Markup.Escape(parse.GetValue(urls)!)}/dev/outbox[/]");
            try
            {
                await RunScenarioAsync(app.Services, ct);
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

    private static async Task RunScenarioAsync(IServiceProvider services, CancellationToken ct)
    {
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
            ($"demo-{run}-raw-sms", $$"""{"intentId":"demo-{{run}}-raw-sms","tenantId":"{{Tenant}}","producer":"php-booking","patientId":"p-1002","channel":"sms","declaredPurpose":"service","category":"appointment_reminder","to":"+33612345678","body":"Rappel : RDV demain 10h30 chez Dr Martin. Répondez ANNULER pour annuler."}"""),
            ($"demo-{run}-raw-fax", $$"""{"intentId":"demo-{{run}}-raw-fax","tenantId":"{{Tenant}}","producer":"php-booking","patientId":"p-1002","channel":"fax","body":"hello"}"""),
            ($"demo-{run}-raw-broken", $$"""{"intentId":"demo-{{run}}-raw-broken","tenantId":"{{Tenant}}", "body": "unterminated"""),
        };
        await PublishRawAsync(rabbit, services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayOptions>>().Value.IntentQueue, raw, ct);
        expected.AddRange(raw.Select(r => r.Id));

        await WatchDecisionsAsync(services.GetRequiredService<NpgsqlDataSource>(), expected, ct);
    }

    private static List<MessageIntent> DemoIntents(string run) =>
    [
        new()
        {
            IntentId = $"demo-{run}-reminder", TenantId = Tenant, Producer = "booking", PatientId = "p-1001",
            Channel = Channel.Email, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder", Locale = "en",
            Subject = "Your appointment tomorrow", Body = "Dear Ms Hughes, this is a reminder of your appointment tomorrow at 10:30 with Dr Patel.",
            ExpiresAt = DateTimeOffset.UtcNow.AddDays(1), To = "j.hughes@example.org",
        },
        new()
        {
            IntentId = $"demo-{run}-promo", TenantId = Tenant, Producer = "campaigns", PatientId = "p-1001",
            Channel = Channel.Email, DeclaredPurpose = Purpose.Marketing, Category = "campaign", CampaignId = "spring-offer", Locale = "en",
            Subject = "Spring offer", Body = "Spring is here.", Blocks = [new ContentBlock { Kind = Purpose.Marketing, Text = "20% off all peels this month: book now!" }],
            To = "j.hughes@example.org", Html = "<p>Spring is here.</p><p>20% off all peels this month: <a href=\"https://clinique-des-lilas.example/book\">book now</a>!</p>",
        },
        new()
        {
            IntentId = $"demo-{run}-expired", TenantId = Tenant, Producer = "booking", PatientId = "p-1003",
            Channel = Channel.WhatsApp, DeclaredPurpose = Purpose.Service, Category = "appointment_reminder",
            Body = "Reminder: your appointment is today at 9:00.", ExpiresAt = DateTimeOffset.UtcNow.AddHours(-1),
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
        var factory = new ConnectionFactory { HostName = rabbit.Host, Port = rabbit.Port, VirtualHost = rabbit.VirtualHost, UserName = rabbit.Username, Password = rabbit.Password };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        foreach (var (id, json) in messages)
        {
            var properties = new BasicProperties { ContentType = "application/json", Persistent = true, MessageId = id };
            await channel.BasicPublishAsync("", queue, mandatory: false, properties, Encoding.UTF8.GetBytes(json), ct);
        }
    }

    private static async Task WatchDecisionsAsync(NpgsqlDataSource db, IReadOnlyCollection<string> intentIds, CancellationToken ct)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Decisions (as committed to PostgreSQL)[/]")
            .AddColumns("Intent", "Channel", "Detected", "Outcome", "Reasons", "Details");
        var seen = new HashSet<long>();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        await AnsiConsole.Live(table).StartAsync(async live =>
        {
            while (DateTimeOffset.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                var rows = await connection.QueryAsync<(long Seq, string IntentId, string Channel, string DetectedPurpose, string Outcome, string[] Reasons, string[] Details)>(
                    "select seq, intent_id, channel, detected_purpose, outcome, reasons, details from decisions where intent_id = any(@ids) or intent_id like 'rejected:demo-%' order by seq",
                    new { ids = intentIds.ToArray() });
                foreach (var row in rows.Where(r => seen.Add(r.Seq)))
                {
                    table.AddRow(Markup.Escape(row.IntentId), row.Channel, row.DetectedPurpose, Colour(row.Outcome),
                        Markup.Escape(string.Join(", ", row.Reasons)), Markup.Escape(string.Join("; ", row.Details.Take(2))));
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

    private static string Colour(string outcome) => outcome switch
    {
        "Sent" or "SentWithMarketingRemoved" => $"[green]{outcome}[/]",
        "Blocked" or "Failed" => $"[red]{outcome}[/]",
        "Rejected" => $"[yellow]{outcome}[/]",
        _ => outcome,
    };
}

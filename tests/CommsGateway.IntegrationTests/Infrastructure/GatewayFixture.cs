using System.Collections.Concurrent;
using System.Text;
using CommsGateway.Contracts;
using CommsGateway.FakeProviders;
using Dapper;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// One gateway (WebApplicationFactory over the real Program) on the real servers, shared by a test collection.
/// Tests isolate themselves by unique tenant and intent ids, never by resetting the append-only log.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;
    private HostReceiveEndpointHandle? _decidedEndpoint;

    public TestServers Servers { get; private set; } = null!;

    /// <summary>The fake SendGrid/Twilio the gateway sends to; counts what it accepted per IntentId.</summary>
    public FakeProviderServer Fake { get; private set; } = null!;

    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("Fixture not started");

    public IServiceProvider Services => Factory.Services;

    /// <summary>Every MessageDecided the gateway published, as the bus delivered it.</summary>
    public ConcurrentQueue<MessageDecided> Decided { get; } = new();

    /// <summary>Extra settings a derived fixture or collection wants (fake provider URLs ...).</summary>
    public Dictionary<string, string?> ExtraSettings { get; } = [];

    public async Task InitializeAsync()
    {
        Servers = await TestServers.StartAsync();
        Fake = await FakeProviderServer.StartAsync();
        var settings = Servers.GatewaySettings();
        foreach (var (key, value) in FakeProviderSettings.For(Fake))
        {
            settings[key] = value;
        }

        foreach (var (key, value) in ExtraSettings)
        {
            settings[key] = value;
        }

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
        });
        _ = _factory.Server; // start the host: migrations, bus, sweeper

        var bus = Services.GetRequiredService<IBus>();
        _decidedEndpoint = bus.ConnectReceiveEndpoint("test-decided-" + Guid.NewGuid().ToString("N")[..8], e =>
        {
            if (e is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.AutoDelete = true;
                rabbit.Durable = false;
            }

            e.Handler<MessageDecided>(context =>
            {
                Decided.Enqueue(context.Message);
                return Task.CompletedTask;
            });
        });
        await _decidedEndpoint.Ready;
    }

    /// <summary>
    /// Registers the intent's clinic (if new) and puts its patient on record with the intent's explicit address
    /// (or defaults), as the booking system would have: the gateway sends only to addresses on record. A WhatsApp
    /// recipient has just written to the clinic, so its 24-hour window is open.
    /// </summary>
    public async Task SeedRecipientAsync(MessageIntent intent, string? locale = null)
    {
        ArgumentNullException.ThrowIfNull(intent);
        await using var connection = await Db.OpenConnectionAsync();
        if (await connection.ExecuteAsync("insert into tenants (tenant_id, name) values (@TenantId, 'Test clinic') on conflict do nothing", new { intent.TenantId }) == 1)
        {
            await TestSenders.StoreAsync(connection, intent.TenantId); // a clinic created before keeps its own sender
        }
        await connection.ExecuteAsync("""
            insert into contacts (tenant_id, patient_id, email, phone_e164, whatsapp_e164, locale, time_zone, updated_by)
            values (@TenantId, @PatientId, @email, @phone, @phone, @locale, 'Europe/Paris', 'tests')
            on conflict (tenant_id, patient_id) do update
               set email = coalesce(excluded.email, contacts.email), phone_e164 = coalesce(excluded.phone_e164, contacts.phone_e164),
                   whatsapp_e164 = coalesce(excluded.whatsapp_e164, contacts.whatsapp_e164)
            """, new
        {
            intent.TenantId, intent.PatientId,
            email = intent.Channel == Channel.Email ? intent.To ?? "patient@example.org" : "patient@example.org",
            phone = intent.Channel != Channel.Email ? intent.To ?? "+33612345678" : "+33612345678",
            locale = locale ?? intent.Locale ?? "fr",
        });
        if (intent.Channel == Channel.WhatsApp)
        {
            // The patient wrote on WhatsApp a moment ago: free-form is allowed (the 24-hour customer-service window).
            await connection.ExecuteAsync("""
                insert into whatsapp_sessions (tenant_id, patient_id, last_inbound_at) values (@TenantId, @PatientId, now())
                on conflict (tenant_id, patient_id) do update set last_inbound_at = excluded.last_inbound_at
                """, new { intent.TenantId, intent.PatientId });
        }
    }

    public NpgsqlDataSource Db => Services.GetRequiredService<NpgsqlDataSource>();

    public Task PublishAsync(MessageIntent intent) => Services.GetRequiredService<IBus>().Publish(intent);

    /// <summary>Publishes a plain-JSON body straight to the intent queue, as a producer without MassTransit would.</summary>
    public Task PublishRawAsync(string json, string? messageId = null, string? contentType = "application/json",
        string queue = "commsgw-intents", Dictionary<string, object?>? headers = null) =>
        PublishRawAsync(Encoding.UTF8.GetBytes(json), messageId, contentType, queue, headers);

    /// <summary>Publishes these exact bytes (which need not be valid UTF-8) to the queue.</summary>
    public async Task PublishRawAsync(byte[] body, string? messageId = null, string? contentType = "application/json",
        string queue = "commsgw-intents", Dictionary<string, object?>? headers = null)
    {
        var factory = new ConnectionFactory
        {
            HostName = Servers.RabbitHost, Port = Servers.RabbitPort, VirtualHost = Servers.RabbitVirtualHost,
            UserName = Servers.RabbitUser, Password = Servers.RabbitPassword,
        };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = contentType, Persistent = true, MessageId = messageId, Headers = headers };
        await channel.BasicPublishAsync("", queue, mandatory: true, properties, body);
    }

    /// <summary>Decision rows for an intent, polled until at least <paramref name="count"/> exist or the timeout passes.</summary>
    public async Task<IReadOnlyList<DecisionRow>> WaitForDecisionsAsync(string tenantId, string intentId, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var rows = await DecisionsAsync(tenantId, intentId);
            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(100);
        }
    }

    public async Task<IReadOnlyList<DecisionRow>> DecisionsAsync(string tenantId, string intentId)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return (await connection.QueryAsync<DecisionRow>(
            "select decision_id, tenant_id, intent_id, outcome, reasons, details, detected_purpose, declared_purpose from decisions where tenant_id = @tenantId and intent_id = @intentId order by seq",
            new { tenantId, intentId })).ToList();
    }

    /// <summary>MessageDecided events for an intent, waited for until at least <paramref name="count"/> arrived.</summary>
    public async Task<IReadOnlyList<MessageDecided>> WaitForDecidedAsync(string intentId, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var events = Decided.Where(d => d.IntentId == intentId).ToList();
            if (events.Count >= count || DateTime.UtcNow > deadline)
            {
                return events;
            }

            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        if (_decidedEndpoint is not null)
        {
            await _decidedEndpoint.StopAsync();
        }

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Servers.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

public sealed record DecisionRow
{
    public Guid DecisionId { get; init; }
    public string TenantId { get; init; } = "";
    public string IntentId { get; init; } = "";
    public string Outcome { get; init; } = "";
    public string[] Reasons { get; init; } = [];
    public string[] Details { get; init; } = [];
    public string DetectedPurpose { get; init; } = "";
    public string DeclaredPurpose { get; init; } = "";
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}

using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using CommsGateway.Contracts;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using MassTransit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using RabbitMQ.Client;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A gateway on the real servers that captures every log entry at Trace level (as a sink sees it) and
/// authenticates API calls with a test scheme that sets the tenant claim the API-key handler will set.
/// </summary>
public sealed class OpsFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;

    public TestServers Servers { get; private set; } = null!;

    public CapturingLoggerProvider Logs { get; } = new();

    public FakeProviderServer Fake { get; private set; } = null!;

    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("Fixture not started");

    public IServiceProvider Services => Factory.Services;

    public NpgsqlDataSource Db => Services.GetRequiredService<NpgsqlDataSource>();

    public async Task InitializeAsync()
    {
        Servers = await TestServers.StartAsync();
        // Real sends (to the fake SendGrid/Twilio), so the log scan and the metrics see the provider paths too.
        Fake = await FakeProviderServer.StartAsync();
        var settings = Servers.GatewaySettings();
        foreach (var (key, value) in FakeProviderSettings.For(Fake))
        {
            settings[key] = value;
        }

        settings["Logging:LogLevel:Default"] = "Trace";
        settings["Logging:LogLevel:Microsoft"] = "Trace";
        settings["Logging:LogLevel:MassTransit"] = "Trace";
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton<ILoggerProvider>(Logs);
                services.AddAuthentication(o =>
                {
                    o.DefaultScheme = TestTenantAuth.SchemeName;
                    o.DefaultAuthenticateScheme = TestTenantAuth.SchemeName;
                    o.DefaultChallengeScheme = TestTenantAuth.SchemeName;
                }).AddScheme<AuthenticationSchemeOptions, TestTenantAuth>(TestTenantAuth.SchemeName, null);
            });
        });
        _ = _factory.Server;
        await WaitReadyAsync();
    }

    /// <summary>Until the bus is up (readiness green), so published intents are consumed.</summary>
    private async Task WaitReadyAsync()
    {
        using var client = Factory.CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if ((await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(200);
        }
    }

    public HttpClient ClientFor(string tenant)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add(TestTenantAuth.TenantHeader, tenant);
        return client;
    }

    public Task PublishAsync(MessageIntent intent) => Services.GetRequiredService<IBus>().Publish(intent);

    public async Task PublishRawAsync(string json, string? messageId = null)
    {
        var factory = new ConnectionFactory
        {
            HostName = Servers.RabbitHost, Port = Servers.RabbitPort, VirtualHost = Servers.RabbitVirtualHost,
            UserName = Servers.RabbitUser, Password = Servers.RabbitPassword,
        };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = "application/json", Persistent = true, MessageId = messageId };
        await channel.BasicPublishAsync("", "commsgw-intents", mandatory: true, properties, Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Waits until the tenant has at least <paramref name="count"/> decision rows; returns their outcomes by intent.</summary>
    public async Task<IReadOnlyDictionary<string, string>> WaitForTenantDecisionsAsync(string tenant, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            await using var connection = await Db.OpenConnectionAsync();
            var rows = (await connection.QueryAsync<(string IntentId, string Outcome)>(
                "select intent_id, outcome from decisions where tenant_id = @tenant order by seq", new { tenant })).ToList();
            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows.GroupBy(r => r.IntentId).ToDictionary(g => g.Key, g => g.Last().Outcome);
            }

            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Servers.DisposeAsync();
        if (Fake is not null)
        {
            await Fake.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class OpsCollection : ICollectionFixture<OpsFixture>
{
    public const string Name = "ops";
}

/// <summary>Stands in for the API-key handler (branch consent): the caller's tenant comes from a header, as a claim.</summary>
public sealed class TestTenantAuth(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "TestTenant";
    public const string TenantHeader = "X-Test-Tenant";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(TenantHeader, out var tenant) || string.IsNullOrEmpty(tenant))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity([new Claim(CommsGateway.Features.Audit.TenantScope.TenantClaim, tenant.ToString()), new Claim(ClaimTypes.Name, "test-key")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}

/// <summary>Keeps every rendered entry a sink would write: message, structured values, scopes, exception text.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider? _scopes;

    public ConcurrentQueue<string> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Capturing(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Capturing(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new StringBuilder().Append(category).Append(' ').Append(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    text.Append(" | ").Append(key).Append('=').Append(value is System.Collections.IEnumerable e and not string
                        ? string.Join(",", e.Cast<object?>()) : value);
                }
            }

            owner._scopes?.ForEachScope((scope, sb) => sb.Append(" | scope=").Append(scope), text);
            if (exception is not null)
            {
                text.Append(" | exception=").Append(exception);
            }

            owner.Entries.Enqueue(text.ToString());
        }
    }
}

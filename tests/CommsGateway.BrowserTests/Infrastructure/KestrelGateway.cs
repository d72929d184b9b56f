using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using CommsGateway.FakeProviders;
using CommsGateway.Hosting;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CommsGateway.BrowserTests.Infrastructure;

/// <summary>
/// The real gateway (GatewayHost.Build, as `commsgw run` builds it) on Kestrel at 127.0.0.1:&lt;free port&gt;:
/// Chromium needs a real socket, which the in-memory TestServer does not give. Real RabbitMQ and PostgreSQL,
/// isolated per run by <see cref="TestServers"/>; fresh unsubscribe keys per run.
/// </summary>
public class KestrelGateway : IAsyncLifetime
{
    private readonly int _signInAttemptsPerMinute;
    private WebApplication? _app;

    /// <summary>
    /// Every console test signs in from 127.0.0.1: the per-address sign-in limit is raised so a fast run's later
    /// sign-ins are not refused (the limit itself is tested with <see cref="StrictSignInGateway"/>).
    /// </summary>
    public KestrelGateway()
        : this(1000)
    {
    }

    protected KestrelGateway(int signInAttemptsPerMinute) => _signInAttemptsPerMinute = signInAttemptsPerMinute;

    public int SignInAttemptsPerMinute => _signInAttemptsPerMinute;

    public TestServers Servers { get; private set; } = null!;

    /// <summary>The fake SendGrid/Twilio the gateway really sends to: what a patient would receive.</summary>
    public FakeProviderServer Fake { get; private set; } = null!;

    public Uri BaseUrl { get; private set; } = null!;

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("Gateway not started");

    public NpgsqlDataSource Db => Services.GetRequiredService<NpgsqlDataSource>();

    public const string ClinicName = "Clinique Belle Peau";

    public const string Tenant = "clinic-browser";

    public async Task InitializeAsync()
    {
        Servers = await TestServers.StartAsync();
        BaseUrl = new Uri($"http://127.0.0.1:{FreePort()}");
        Fake = await FakeProviderServer.StartAsync();
        var settings = Servers.GatewaySettings();
        foreach (var (key, value) in FakeProviderSettings.For(Fake))
        {
            settings[key] = value;
        }

        settings["Gateway:PublicBaseUrl"] = BaseUrl.AbsoluteUri.TrimEnd('/');
        settings["Unsubscribe:ActiveKeyId"] = "browser-k1";
        settings["Unsubscribe:Keys:0:Id"] = "browser-k1";
        settings["Unsubscribe:Keys:0:Secret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        settings["Unsubscribe:SubscriberKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        settings[$"Unsubscribe:ClinicNames:{Tenant}"] = ClinicName;
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Console:SignInAttemptsPerMinute"] = _signInAttemptsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);

        _app = GatewayHost.Build(["--urls", BaseUrl.AbsoluteUri.TrimEnd('/'), "--environment", "Testing"],
            builder => builder.Configuration.AddInMemoryCollection(settings));
        await _app.StartAsync();
        await WaitReadyAsync();
    }

    /// <summary>
    /// Until readiness is green (the bus connected, its endpoints consuming): the host's start does not wait for the bus,
    /// and a test that seeds intents right away would otherwise wait for it inside its own deadline.
    /// </summary>
    private async Task WaitReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseUrl };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Kestrel not listening yet
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the browser tests' gateway at {BaseUrl} was not ready in 120 s");
    }

    /// <summary>A port nobody listens on now; Kestrel binds it a moment later (loopback only, so the race is ours alone).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Servers.DisposeAsync();
        if (Fake is not null)
        {
            await Fake.DisposeAsync();
        }
    }
}

/// <summary>The gateway with a sign-in limit of 3 attempts per minute per address, to test the limit itself.</summary>
public sealed class StrictSignInGateway() : KestrelGateway(3);

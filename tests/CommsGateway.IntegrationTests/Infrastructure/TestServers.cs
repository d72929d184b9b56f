using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// The real servers for integration tests: Testcontainers when a Docker engine answers, else the local
/// RabbitMQ and PostgreSQL that scripts/servers.sh started (settings from the environment it exports).
/// Each test run gets its own database and its own RabbitMQ virtual host, so runs never see each other.
/// </summary>
public sealed class TestServers : IAsyncDisposable
{
    private PostgreSqlContainer? _postgres;
    private RabbitMqContainer? _rabbit;

    public string AdminConnectionString { get; private set; } = "";
    public string ConnectionString { get; private set; } = "";
    public string RabbitHost { get; private set; } = "127.0.0.1";
    public int RabbitPort { get; private set; } = 5672;
    public string RabbitVirtualHost { get; private set; } = "/";
    public string RabbitUser { get; private set; } = "guest";
    public string RabbitPassword { get; private set; } = "guest";
    public bool UsesContainers { get; private set; }
    private string? _managementUrl;
    private string? _database;

    public static async Task<TestServers> StartAsync()
    {
        var servers = new TestServers();
        if (await DockerAnswersAsync())
        {
            await servers.StartContainersAsync();
        }
        else
        {
            servers.UseLocalServers();
        }

        await servers.CreateIsolatedDatabaseAsync();
        await servers.CreateIsolatedVirtualHostAsync();
        return servers;
    }

    private async Task StartContainersAsync()
    {
        UsesContainers = true;
        _postgres = new PostgreSqlBuilder("postgres:16.4-alpine").Build();
        _rabbit = new RabbitMqBuilder("rabbitmq:3.13.7-management-alpine").Build();
        await Task.WhenAll(_postgres.StartAsync(), _rabbit.StartAsync());
        AdminConnectionString = _postgres.GetConnectionString();
        var uri = new Uri(_rabbit.GetConnectionString());
        RabbitHost = uri.Host;
        RabbitPort = uri.Port;
        RabbitUser = "rabbitmq";
        RabbitPassword = "rabbitmq";
        _managementUrl = null; // the container's vhost "/" is already private to this run
    }

    private void UseLocalServers()
    {
        AdminConnectionString = Environment.GetEnvironmentVariable("COMMSGW_PG_ADMIN")
            ?? "Host=127.0.0.1;Port=5432;Database=postgres;Username=postgres;Password=postgres";
        RabbitHost = Environment.GetEnvironmentVariable("RabbitMq__Host") ?? "127.0.0.1";
        RabbitPort = int.TryParse(Environment.GetEnvironmentVariable("RabbitMq__Port"), out var port) ? port : 5672;
        RabbitUser = Environment.GetEnvironmentVariable("RabbitMq__Username") ?? "guest";
        RabbitPassword = Environment.GetEnvironmentVariable("RabbitMq__Password") ?? "guest";
        _managementUrl = Environment.GetEnvironmentVariable("COMMSGW_RABBIT_MANAGEMENT") ?? "http://127.0.0.1:15672";
    }

    private async Task CreateIsolatedDatabaseAsync()
    {
        _database = "commsgw_t_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {_database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = _database }.ConnectionString;
    }

    private async Task CreateIsolatedVirtualHostAsync()
    {
        if (_managementUrl is null)
        {
            return;
        }

        RabbitVirtualHost = "commsgw-t-" + Guid.NewGuid().ToString("N")[..12];
        using var http = ManagementClient();
        (await http.PutAsync($"api/vhosts/{RabbitVirtualHost}", null)).EnsureSuccessStatusCode();
        var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await http.PutAsync($"api/permissions/{RabbitVirtualHost}/{RabbitUser}", permissions)).EnsureSuccessStatusCode();
    }

    private HttpClient ManagementClient()
    {
        var http = new HttpClient { BaseAddress = new Uri(_managementUrl!.TrimEnd('/') + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RabbitUser}:{RabbitPassword}")));
        return http;
    }

    /// <summary>Settings the gateway reads, pointing at this run's isolated database and vhost.</summary>
    public Dictionary<string, string?> GatewaySettings() => new()
    {
        ["Database:ConnectionString"] = ConnectionString,
        ["RabbitMq:Host"] = RabbitHost,
        ["RabbitMq:Port"] = RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RabbitMq:VirtualHost"] = RabbitVirtualHost,
        ["RabbitMq:Username"] = RabbitUser,
        ["RabbitMq:Password"] = RabbitPassword,
        // Provider credentials are required at start-up. Hosts that send for real (GatewayFixture) point these
        // at a running fake; elsewhere a closed loopback port makes any send fail fast, never leave the machine.
        ["SendGrid:ApiKey"] = "SG.test-not-a-key",
        ["SendGrid:Host"] = "http://127.0.0.1:9",
        ["Twilio:AccountSid"] = "ACtest00000000000000000000000000",
        ["Twilio:AuthToken"] = "test-not-a-token",
        ["Twilio:BaseUrl"] = "http://127.0.0.1:9",
    };

    private static async Task<bool> DockerAnswersAsync()
    {
        if (Environment.GetEnvironmentVariable("COMMSGW_TEST_NO_DOCKER") == "1")
        {
            return false;
        }

        const string socketPath = "/var/run/docker.sock";
        if (!File.Exists(socketPath))
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cts.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"), cts.Token);
            var buffer = new byte[64];
            var read = await socket.ReceiveAsync(buffer, cts.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).Contains(" 200 ", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_managementUrl is not null && RabbitVirtualHost != "/")
        {
            using var http = ManagementClient();
            await http.DeleteAsync($"api/vhosts/{RabbitVirtualHost}");
        }

        if (_database is not null && !UsesContainers)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(AdminConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop database if exists {_database} with (force)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        if (_rabbit is not null)
        {
            await _rabbit.DisposeAsync();
        }
    }
}

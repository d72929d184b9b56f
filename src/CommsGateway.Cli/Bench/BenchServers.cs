using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace CommsGateway.Cli.Bench;

/// <summary>
/// The bench's own database and RabbitMQ virtual host on the servers scripts/servers.sh started (settings from
/// the environment it exports), created fresh and dropped afterwards, like the integration tests' TestServers.
/// </summary>
internal sealed class BenchServers : IAsyncDisposable
{
    private readonly string _adminConnectionString;
    private readonly string _managementUrl;
    private readonly List<string> _databases = [];
    private readonly List<string> _virtualHosts = [];

    private BenchServers()
    {
        _adminConnectionString = Environment.GetEnvironmentVariable("COMMSGW_PG_ADMIN")
            ?? "Host=127.0.0.1;Port=5432;Database=postgres;Username=postgres;Password=postgres";
        RabbitHost = Environment.GetEnvironmentVariable("RabbitMq__Host") ?? "127.0.0.1";
        RabbitPort = int.TryParse(Environment.GetEnvironmentVariable("RabbitMq__Port"), CultureInfo.InvariantCulture, out var port) ? port : 5672;
        RabbitUser = Environment.GetEnvironmentVariable("RabbitMq__Username") ?? "guest";
        RabbitPassword = Environment.GetEnvironmentVariable("RabbitMq__Password") ?? "guest";
        _managementUrl = Environment.GetEnvironmentVariable("COMMSGW_RABBIT_MANAGEMENT") ?? "http://127.0.0.1:15672";
    }

    public string RabbitHost { get; }

    public int RabbitPort { get; }

    public string RabbitUser { get; }

    public string RabbitPassword { get; }

    public static BenchServers FromEnvironment() => new();

    /// <summary>A fresh, empty database; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken ct)
    {
        var name = "commsgw_b_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(_adminConnectionString))
        {
            await admin.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"create database {name}", admin);
            await create.ExecuteNonQueryAsync(ct);
        }

        _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name, MaxPoolSize = 100 }.ConnectionString;
    }

    /// <summary>A fresh virtual host the bench user may use; its name.</summary>
    public async Task<string> CreateVirtualHostAsync(CancellationToken ct)
    {
        var name = "commsgw-b-" + Guid.NewGuid().ToString("N")[..12];
        using var http = Management();
        (await http.PutAsync(new Uri($"api/vhosts/{name}", UriKind.Relative), null, ct)).EnsureSuccessStatusCode();
        using var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await http.PutAsync(new Uri($"api/permissions/{name}/{RabbitUser}", UriKind.Relative), permissions, ct)).EnsureSuccessStatusCode();
        _virtualHosts.Add(name);
        return name;
    }

    public Dictionary<string, string?> GatewaySettings(string connectionString, string virtualHost) => new()
    {
        ["Database:ConnectionString"] = connectionString,
        ["RabbitMq:Host"] = RabbitHost,
        ["RabbitMq:Port"] = RabbitPort.ToString(CultureInfo.InvariantCulture),
        ["RabbitMq:VirtualHost"] = virtualHost,
        ["RabbitMq:Username"] = RabbitUser,
        ["RabbitMq:Password"] = RabbitPassword,
    };

    private HttpClient Management()
    {
        var http = new HttpClient { BaseAddress = new Uri(_managementUrl.TrimEnd('/') + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RabbitUser}:{RabbitPassword}")));
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        using (var http = Management())
        {
            foreach (var vhost in _virtualHosts)
            {
                await http.DeleteAsync(new Uri($"api/vhosts/{vhost}", UriKind.Relative));
            }
        }

        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        foreach (var database in _databases)
        {
            await using var drop = new NpgsqlCommand($"drop database if exists {database} with (force)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}

using System.Text.Json;
using CommsGateway.IntegrationTests.Infrastructure;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>
/// `commsgw bench -n 500 --json` as an operator runs it: the built binary in a fresh process, which itself starts the
/// gateway (`commsgw run`) and the fake providers as processes of their own. Checks every figure is there and sane;
/// never how fast anything was (speed figures live in the bench's output, not in tests).
/// </summary>
public sealed class BenchCommandTests : IAsyncLifetime
{
    private TestServers _servers = null!;

    public async Task InitializeAsync() => _servers = await TestServers.StartAsync();

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public async Task Should_report_the_gateway_process_figures_the_raw_broker_and_the_profile_as_JSON()
    {
        const int n = 500;
        var result = await CommsgwProcess.RunAsync(["bench", "-n", n.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"], BenchEnvironment(),
            timeout: TimeSpan.FromMinutes(15));

        Assert.True(result.ExitCode == 0, result.All);
        using var json = JsonDocument.Parse(result.Out);
        var r = json.RootElement;
        double D(string name) => r.GetProperty(name).GetDouble();
        Assert.Equal(n, r.GetProperty("n").GetInt32());
        Assert.All(["raw_broker_msgs_per_s", "raw_broker_again_msgs_per_s", "raw_db_rows_per_s", "raw_db_unchained_rows_per_s", "gateway_decisions_per_s",
            "ratio", "gateway_cpu_us_per_decision", "producer_cpu_us_per_decision", "p50_ms", "closed_loop_p99_ms"], name => Assert.True(D(name) > 0, name));
        // The ratio is computed before the rates are rounded to whole numbers for the report: allow for that rounding.
        var (gateway, broker) = (D("gateway_decisions_per_s"), D("raw_broker_msgs_per_s"));
        Assert.InRange(D("ratio"), (gateway - 0.5) / (broker + 0.5) - 0.0005, (gateway + 0.5) / (broker - 0.5) + 0.0005);
        // Each process's own memory: a .NET host is tens of MB at least, and nothing here needs gigabytes.
        Assert.InRange(D("gateway_peak_working_set_mb"), 20, 4_000);
        Assert.InRange(D("producer_peak_working_set_mb"), 20, 4_000);
        Assert.True(D("fake_providers_cpu_us_per_decision") >= 0);
        Assert.Equal("open_loop", r.GetProperty("latency_mode").GetString());
        Assert.InRange(D("offered_rate_per_s"), (D("gateway_decisions_per_s") / 2) - 1, (D("gateway_decisions_per_s") / 2) + 1); // half the maximum (both rounded)
        Assert.True(D("p50_ms") <= D("p95_ms") && D("p95_ms") <= D("p99_ms"));
        Assert.Matches(@"^\d+\.\d+ \d+\.\d+ \d+\.\d+$", r.GetProperty("load_average_before").GetString());
        Assert.Contains("dispatches: sent", r.GetProperty("outcome_mix").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("campaign").ValueKind);

        // The whole host's CPU: the servers' processes are part of it, and the cores' ceiling follows from its cost.
        Assert.True(D("broker_cpu_us_per_decision") > 0 && D("database_cpu_us_per_decision") > 0);
        Assert.True(D("host_cpu_us_per_decision") >= D("gateway_cpu_us_per_decision") + D("broker_cpu_us_per_decision") + D("database_cpu_us_per_decision") - 100,
            "the host's CPU holds the gateway's, the broker's and the database's (ticks of 10 ms round each reading)");
        Assert.InRange(D("host_busy_percent"), 0.1, 100);
        Assert.InRange(D("open_loop_host_busy_percent"), 0.1, 100);
        Assert.True(D("open_loop_host_cpu_us_per_decision") > 0 && D("open_loop_gateway_cpu_us_per_decision") > 0);
        var ceiling = Environment.ProcessorCount * 1e6 / D("host_cpu_us_per_decision"); // both figures rounded: within 1 %
        Assert.InRange(D("cpu_ceiling_decisions_per_s"), ceiling * 0.99, ceiling * 1.01);

        // The gateway's own profile: every intent of the warm-up, closed and open runs was decided once, as its meter counted.
        var profile = r.GetProperty("profile");
        var decisions = profile.GetProperty("instruments").EnumerateArray()
            .Where(i => i.GetProperty("name").GetString() == "commsgw.decisions").Sum(i => i.GetProperty("sum").GetDouble());
        Assert.Equal(n, r.GetProperty("warmup_intents").GetInt32()); // a short run warms up with one round of n
        Assert.InRange(D("gateway_jit_cpu_us_per_decision"), 0, D("gateway_cpu_us_per_decision"));
        Assert.Equal(3 * n, decisions);
        Assert.All(profile.GetProperty("spans").EnumerateArray(), span =>
        {
            Assert.True(span.GetProperty("count").GetInt64() > 0);
            Assert.True(span.GetProperty("p50_ms").GetDouble() <= span.GetProperty("p99_ms").GetDouble());
        });
    }

    [Fact]
    public async Task Should_report_a_campaign_s_time_requests_and_the_cpu_of_every_process_as_JSON()
    {
        const int recipients = 300;
        var result = await CommsgwProcess.RunAsync(["bench", "--campaign", recipients.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"],
            BenchEnvironment(), timeout: TimeSpan.FromMinutes(10));

        Assert.True(result.ExitCode == 0, result.All);
        using var json = JsonDocument.Parse(result.Out);
        var c = json.RootElement.GetProperty("campaign");
        double D(string name) => c.GetProperty(name).GetDouble();
        Assert.Equal(recipients, c.GetProperty("recipients").GetInt32());
        Assert.True(c.GetProperty("complete").GetBoolean());
        Assert.Equal(recipients, c.GetProperty("accepted").GetInt64());
        Assert.InRange(c.GetProperty("send_grid_requests").GetInt64(), 1, recipients - 1); // in bulk: fewer requests than emails
        Assert.True(D("queue_seconds") > 0 && D("queue_seconds") <= D("total_seconds"));

        var cpu = c.GetProperty("cpu");
        double Cpu(string name) => cpu.GetProperty(name).GetDouble();
        // The queue command is a process of its own that ended: its CPU is there (a .NET start alone takes some).
        Assert.True(Cpu("queue_command") > 0, "queue command CPU");
        Assert.True(Cpu("gateway") > 0 && Cpu("database") > 0 && Cpu("broker") > 0);
        Assert.True(Cpu("host_busy") >= Cpu("gateway") + Cpu("queue_command") - 0.1, "the host's CPU holds its processes'");
        Assert.Equal(Environment.ProcessorCount, cpu.GetProperty("cores").GetInt32());
        Assert.Equal(Cpu("host_busy") / Environment.ProcessorCount, Cpu("floor_seconds"), 2);
    }

    private Dictionary<string, string> BenchEnvironment()
    {
        var environment = new Dictionary<string, string>
        {
            ["COMMSGW_PG_ADMIN"] = _servers.AdminConnectionString,
            ["RabbitMq__Host"] = _servers.RabbitHost,
            ["RabbitMq__Port"] = _servers.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RabbitMq__Username"] = _servers.RabbitUser,
            ["RabbitMq__Password"] = _servers.RabbitPassword,
        };
        if (Environment.GetEnvironmentVariable("COMMSGW_RABBIT_MANAGEMENT") is { } management)
        {
            environment["COMMSGW_RABBIT_MANAGEMENT"] = management;
        }

        return environment;
    }
}

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

        var result = await CommsgwProcess.RunAsync(["bench", "-n", n.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"], environment,
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
}

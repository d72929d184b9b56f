using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CommsGateway.Cli.Bench;
using CommsGateway.Hosting;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// `commsgw bench`: raw RabbitMQ baseline, raw PostgreSQL (the gateway's write path alone), the gateway as its own
/// process with the fake providers as another (closed loop, then open loop at half the measured maximum), the raw
/// baseline again (drift), on the servers scripts/servers.sh runs, each phase in its own vhost/database.
/// `--campaign N`: an N-recipient email campaign from `campaign queue` to every personalization accepted by the fake.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var count = new Option<int>("-n", "--count") { Description = "Messages / rows / intents per phase", DefaultValueFactory = _ => 20_000 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (figures) on stdout instead of the table" };
        var openLoop = new Option<bool>("--open-loop")
        {
            Description = "Kept for scripts: the open loop (latency at half the measured maximum) always runs unless --closed-loop-only",
        };
        var closedOnly = new Option<bool>("--closed-loop-only") { Description = "Skip the open loop (no latency at half the maximum)" };
        var rate = new Option<double?>("--rate")
        {
            Description = "Offer this many intents/s in the open loop instead of half the measured max (compare runs at one rate)",
        };
        var gatewayOnly = new Option<bool>("--gateway-only") { Description = "Skip the raw broker and database phases (quick iterations; no ratio)" };
        var campaign = new Option<int?>("--campaign")
        {
            Description = "Instead of the phases above: an email campaign to this many patients, from `campaign queue` to every personalization accepted by the fake SendGrid",
        };
        var command = new Command("bench", "Measure decisions/s against the raw broker and database, gateway CPU, latency and memory")
        {
            count, json, openLoop, closedOnly, rate, gatewayOnly, campaign,
        };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(count);
            if (n < 100)
            {
                throw new ArgumentOutOfRangeException(nameof(n), "use -n 100 or more");
            }

            var offered = parse.GetValue(rate);
            if (offered is <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(rate), "--rate must be positive");
            }

            if (parse.GetValue(campaign) is < 2)
            {
                throw new ArgumentOutOfRangeException(nameof(campaign), "--campaign needs 2 recipients or more");
            }

            var quiet = parse.GetValue(json);
            var report = parse.GetValue(campaign) is { } recipients
                ? await RunCampaignAsync(recipients, quiet, ct)
                : await RunAsync(n, !parse.GetValue(closedOnly), offered, quiet, parse.GetValue(gatewayOnly), ct);
            if (quiet)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(report, JsonOptions));
            }
            else
            {
                Print(report);
            }

            return 0;
        });
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    internal sealed record BenchReport(
        int N,
        string LoadAverageBefore,
        string LoadAverageAfter,
        double RawBrokerMsgsPerS,
        double RawBrokerAgainMsgsPerS,
        double RawDbRowsPerS,
        double RawDbUnchainedRowsPerS,
        double GatewayDecisionsPerS,
        double Ratio,
        double GatewayCpuUsPerDecision,
        double GatewayPeakWorkingSetMb,
        double ProducerCpuUsPerDecision,
        double ProducerPeakWorkingSetMb,
        double FakeProvidersCpuUsPerDecision,
        bool PeakResetPerRun,
        double P50Ms,
        double P95Ms,
        double P99Ms,
        string LatencyMode,
        double? OfferedRatePerS,
        double ClosedLoopP99Ms,
        string LatencySplit,
        string OutcomeMix,
        CampaignRun? Campaign,
        JsonElement? Profile)
    {
        /// <summary>Intents decided before the measured runs, until the gateway was warm.</summary>
        public int WarmupIntents { get; init; }

        /// <summary>Of <see cref="GatewayCpuUsPerDecision"/>, what the runtime's background tier-1 JIT thread still took.</summary>
        public double GatewayJitCpuUsPerDecision { get; init; }

        /// <summary>The closed loop's CPU in the broker's and PostgreSQL's processes, per decision.</summary>
        public double BrokerCpuUsPerDecision { get; init; }

        public double DatabaseCpuUsPerDecision { get; init; }

        /// <summary>The whole host's busy CPU per decision in the closed loop (every process, the kernel's work for them included).</summary>
        public double HostCpuUsPerDecision { get; init; }

        /// <summary>How busy the host's cores were in the closed loop, and in the open loop at half its rate.</summary>
        public double HostBusyPercent { get; init; }

        public double? OpenLoopHostBusyPercent { get; init; }

        /// <summary>The open loop's CPU per decision: intents trickle in instead of arriving in bursts, so each costs more than in the closed loop.</summary>
        public double? OpenLoopGatewayCpuUsPerDecision { get; init; }

        public double? OpenLoopHostCpuUsPerDecision { get; init; }

        /// <summary>Cores x 1 s / <see cref="HostCpuUsPerDecision"/>: the rate at which this host's cores are full.</summary>
        public double CpuCeilingDecisionsPerS { get; init; }
    }

    private static async Task<BenchReport> RunAsync(int n, bool openLoop, double? offeredRate, bool quiet, bool gatewayOnly, CancellationToken ct)
    {
        void Say(string text) => SayTo(quiet, text);
        var loadBefore = LoadAverage();
        await using var servers = BenchServers.FromEnvironment();
        var rawVhost = await servers.CreateVirtualHostAsync(ct);

        double raw1 = double.NaN, db = double.NaN, dbUnchained = double.NaN;
        const int writers = 128; // as many concurrent callers as the per-message consumer ran
        if (!gatewayOnly)
        {
            Say($"1/4 raw RabbitMQ.Client: {n} persistent 1 KB messages, confirms window 200, prefetch 250 ...");
            raw1 = await RawBrokerBench.RunAsync(servers, rawVhost, n, ct);
            Say($"    {raw1:N0} msgs/s");

            Say($"2/4 raw PostgreSQL: {n} decision rows through the gateway's write path, {writers} concurrent callers ...");
            db = await RawDatabaseBench.RunAsync(servers, n, writers, chained: true, ct);
            Say($"    {db:N0} rows/s hash-chained");
            dbUnchained = await RawDatabaseBench.RunAsync(servers, n, writers, chained: false, ct);
            Say($"    {dbUnchained:N0} rows/s same batching, no chain");
        }

        Say($"3/4 gateway process (`commsgw run`) + fake providers process: {n} intents, plain JSON, publish -> decision committed ...");
        GatewayRun closed;
        GatewayRun? open = null;
        int warmup;
        JsonElement? profile;
        await using (var gateway = await GatewayBench.StartAsync(servers, ct))
        {
            // Warm-up (connection pools, queue/exchange bindings, the runtime's tier-1 JIT) is not what we measure.
            warmup = await WarmUpAsync(gateway, n, Say, ct);
            closed = await gateway.RunClosedLoopAsync(n, ct);
            Say($"    {closed.DecisionsPerSecond:N0} decisions/s, p99 {closed.P99Ms:N1} ms (closed loop: includes queueing)");
            Say($"    gateway process: {closed.GatewayCpuMicrosPerDecision:N0} us CPU/decision ({closed.GatewayJitCpuMicrosPerDecision:N0} us of it tier-1 JIT), peak {closed.GatewayPeakWorkingSetMb:N0} MB; producer {closed.ProducerCpuMicrosPerDecision:N0} us, fake providers {closed.FakeProvidersCpuMicrosPerDecision:N0} us");
            Say($"    {closed.Latency}");
            Say($"    whole host: {closed.HostCpuMicrosPerDecision:N0} us CPU/decision (broker {closed.BrokerCpuMicrosPerDecision:N0}, PostgreSQL {closed.DatabaseCpuMicrosPerDecision:N0}), cores {closed.Host.BusyShare:P0} busy: full at {closed.CpuCeilingDecisionsPerSecond:N0} decisions/s");
            Say($"    outcomes: {closed.Outcomes}");
            if (openLoop)
            {
                var rate = offeredRate ?? closed.DecisionsPerSecond / 2;
                Say($"    open loop at {rate:N0} intents/s ...");
                open = await gateway.RunOpenLoopAsync(n, rate, ct);
                Say($"    p50 {open.P50Ms:N1} ms, p95 {open.P95Ms:N1} ms, p99 {open.P99Ms:N1} ms; {open.Latency}");
                Say($"    CPU per decision: gateway {open.GatewayCpuMicrosPerDecision:N0} us, broker {open.BrokerCpuMicrosPerDecision:N0}, PostgreSQL {open.DatabaseCpuMicrosPerDecision:N0}, whole host {open.HostCpuMicrosPerDecision:N0}; cores {open.Host.BusyShare:P0} busy");
            }

            profile = await gateway.StopAsync();
        }

        var raw2 = double.NaN;
        if (!gatewayOnly)
        {
            Say("4/4 raw RabbitMQ.Client again (drift) ...");
            raw2 = await RawBrokerBench.RunAsync(servers, rawVhost, n, ct);
            Say($"    {raw2:N0} msgs/s");
        }

        static double Z(double v) => double.IsNaN(v) ? 0 : Math.Round(v);
        var latency = open ?? closed;
        var rawBroker = gatewayOnly ? 0 : (raw1 + raw2) / 2;
        return new BenchReport(n, loadBefore, LoadAverage(), Math.Round(rawBroker), Z(raw2), Z(db), Z(dbUnchained), Math.Round(closed.DecisionsPerSecond),
            gatewayOnly ? 0 : Math.Round(closed.DecisionsPerSecond / rawBroker, 3),
            Math.Round(closed.GatewayCpuMicrosPerDecision), Math.Round(closed.GatewayPeakWorkingSetMb, 1),
            Math.Round(closed.ProducerCpuMicrosPerDecision), Math.Round(closed.ProducerPeakWorkingSetMb, 1),
            Math.Round(closed.FakeProvidersCpuMicrosPerDecision), closed.PeakReset,
            Math.Round(latency.P50Ms, 2), Math.Round(latency.P95Ms, 2), Math.Round(latency.P99Ms, 2),
            open is null ? "closed_loop" : "open_loop", open is null ? null : Math.Round(offeredRate ?? closed.DecisionsPerSecond / 2),
            Math.Round(closed.P99Ms, 2), latency.Latency, closed.Outcomes, null, profile)
        {
            WarmupIntents = warmup,
            GatewayJitCpuUsPerDecision = Math.Round(closed.GatewayJitCpuMicrosPerDecision),
            BrokerCpuUsPerDecision = Math.Round(closed.BrokerCpuMicrosPerDecision),
            DatabaseCpuUsPerDecision = Math.Round(closed.DatabaseCpuMicrosPerDecision),
            HostCpuUsPerDecision = Math.Round(closed.HostCpuMicrosPerDecision),
            HostBusyPercent = Math.Round(closed.Host.BusyShare * 100, 1),
            OpenLoopHostBusyPercent = open is null ? null : Math.Round(open.Host.BusyShare * 100, 1),
            OpenLoopGatewayCpuUsPerDecision = open is null ? null : Math.Round(open.GatewayCpuMicrosPerDecision),
            OpenLoopHostCpuUsPerDecision = open is null ? null : Math.Round(open.HostCpuMicrosPerDecision),
            CpuCeilingDecisionsPerS = Math.Round(closed.CpuCeilingDecisionsPerSecond),
        };
    }

    /// <summary>
    /// Rounds of 2,000 intents until the gateway is warm (<see cref="GatewayBench.WarmUpAsync"/>), at most 25; a short run
    /// (n under 10,000: a smoke test, not a measurement) warms up with one round of at most n.
    /// </summary>
    private static async Task<int> WarmUpAsync(GatewayBench gateway, int n, Action<string> say, CancellationToken ct)
    {
        var (intents, jitShares) = await gateway.WarmUpAsync(Math.Min(2_000, n), n < 10_000 ? 1 : 25, ct);
        say($"    warm-up: {intents:N0} intents; the tier-1 JIT's share of the gateway's CPU, round by round: "
            + string.Join(", ", jitShares.Select(s => s.ToString("P0", CultureInfo.InvariantCulture))));
        return intents;
    }

    private static async Task<BenchReport> RunCampaignAsync(int recipients, bool quiet, CancellationToken ct)
    {
        void Say(string text) => SayTo(quiet, text);
        var loadBefore = LoadAverage();
        await using var servers = BenchServers.FromEnvironment();
        Say($"campaign: gateway process + fake providers process; {recipients:N0} patients with an email grant, `commsgw campaign queue` -> every personalization accepted ...");
        CampaignRun run;
        JsonElement? profile;
        int warmup;
        await using (var gateway = await GatewayBench.StartAsync(servers, ct))
        {
            warmup = await WarmUpAsync(gateway, recipients, Say, ct);
            run = await gateway.RunCampaignAsync(recipients, Say, ct);
            Say($"    {run.Accepted:N0} accepted in {run.TotalSeconds:F1} s ({run.SendGridRequests:N0} SendGrid requests), gateway {run.GatewayCpuMicrosPerEmail:N0} us CPU/email");
            var cpu = run.Cpu;
            Say($"    CPU seconds: gateway {cpu.Gateway:F1}, broker {cpu.Broker:F1}, PostgreSQL {cpu.Database:F1}, fake providers {cpu.FakeProviders:F1}, queue command {cpu.QueueCommand:F1}, bench {cpu.Bench:F1}; whole host {cpu.HostBusy:F1} = at least {cpu.FloorSeconds:F1} s on {cpu.Cores} cores");
            profile = await gateway.StopAsync();
        }

        return new BenchReport(0, loadBefore, LoadAverage(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, 0, "campaign", null, 0, "", "", run, profile)
        {
            WarmupIntents = warmup,
        };
    }

    private static void SayTo(bool quiet, string text)
    {
        if (quiet)
        {
            Console.Error.WriteLine(text);
        }
        else
        {
            AnsiConsole.MarkupLine("[grey]" + Markup.Escape(text) + "[/]");
        }
    }

    /// <summary>The 1, 5 and 15 minute load averages (the machine is shared: figures need them beside).</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";

    private static void Print(BenchReport r)
    {
        string F(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        string Ms(double v) => v.ToString("N1", CultureInfo.InvariantCulture) + " ms";
        var table = new Table().Border(TableBorder.Rounded).AddColumns("figure", "value");
        if (r.Campaign is { } c)
        {
            table.Title($"[bold]commsgw bench --campaign {c.Recipients:N0}[/]");
            table.AddRow("campaign queue (render + publish, its own process)", c.QueueSeconds.ToString("N1", CultureInfo.InvariantCulture) + " s");
            table.AddRow("[bold]campaign queue -> every personalization accepted[/]", $"[bold]{c.TotalSeconds.ToString("N1", CultureInfo.InvariantCulture)} s[/]" + (c.Complete ? "" : $" (INCOMPLETE: {F(c.Accepted)} accepted)"));
            table.AddRow("SendGrid requests", $"{F(c.SendGridRequests)} ({(c.SendGridRequests == 0 ? 0 : c.Accepted / (double)c.SendGridRequests).ToString("N0", CultureInfo.InvariantCulture)} personalizations each)");
            table.AddRow("gateway process CPU per email", F(c.GatewayCpuMicrosPerEmail) + " us");
            table.AddRow("gateway peak working set", c.GatewayPeakWorkingSetMb.ToString("N1", CultureInfo.InvariantCulture) + " MB");
            string S(double v) => v.ToString("N1", CultureInfo.InvariantCulture) + " s";
            table.AddRow("CPU: gateway, broker, PostgreSQL, fake providers, queue command, bench",
                string.Join(", ", new[] { c.Cpu.Gateway, c.Cpu.Broker, c.Cpu.Database, c.Cpu.FakeProviders, c.Cpu.QueueCommand, c.Cpu.Bench }.Select(S)));
            table.AddRow("[bold]whole host's CPU / its cores: the least this run could take[/]", $"{S(c.Cpu.HostBusy)} / {c.Cpu.Cores} = [bold]{S(c.Cpu.FloorSeconds)}[/]");
        }
        else
        {
            table.Title($"[bold]commsgw bench, n = {r.N:N0}[/]");
            table.AddRow("raw broker (RabbitMQ.Client 7), mean of runs 1 and 4", F(r.RawBrokerMsgsPerS) + " msgs/s");
            table.AddRow("raw broker, run 4 alone (drift)", F(r.RawBrokerAgainMsgsPerS) + " msgs/s");
            table.AddRow("raw PostgreSQL (decision write path, hash-chained)", F(r.RawDbRowsPerS) + " rows/s");
            table.AddRow("raw PostgreSQL, same batching without the chain", F(r.RawDbUnchainedRowsPerS) + " rows/s");
            table.AddRow("[bold]gateway[/] (closed loop)", "[bold]" + F(r.GatewayDecisionsPerS) + " decisions/s[/]");
            table.AddRow("ratio gateway / raw broker", r.Ratio.ToString("0.000", CultureInfo.InvariantCulture));
            table.AddRow("[bold]gateway process CPU per decision[/]", "[bold]" + F(r.GatewayCpuUsPerDecision) + " us[/]" + $" (tier-1 JIT {F(r.GatewayJitCpuUsPerDecision)} us of it)");
            table.AddRow("gateway process peak working set (measured run)", r.GatewayPeakWorkingSetMb.ToString("N1", CultureInfo.InvariantCulture) + " MB");
            table.AddRow("producer (this process): CPU per decision, peak working set",
                $"{F(r.ProducerCpuUsPerDecision)} us, {r.ProducerPeakWorkingSetMb.ToString("N1", CultureInfo.InvariantCulture)} MB");
            table.AddRow("fake providers process: CPU per decision", F(r.FakeProvidersCpuUsPerDecision) + " us");
            table.AddRow("broker, PostgreSQL: CPU per decision", $"{F(r.BrokerCpuUsPerDecision)} us, {F(r.DatabaseCpuUsPerDecision)} us");
            table.AddRow("[bold]whole host: CPU per decision, cores busy[/]", $"[bold]{F(r.HostCpuUsPerDecision)} us[/], {r.HostBusyPercent.ToString("N0", CultureInfo.InvariantCulture)} %: cores full at {F(r.CpuCeilingDecisionsPerS)} decisions/s");
            table.AddRow($"latency publish -> committed ({r.LatencyMode.Replace('_', ' ')}{(r.OfferedRatePerS is { } rate ? $" at {F(rate)}/s" : "")})",
                $"p50 {Ms(r.P50Ms)}, p95 {Ms(r.P95Ms)}, p99 {Ms(r.P99Ms)}" + (r.OpenLoopHostBusyPercent is { } busy ? $"; cores {busy.ToString("N0", CultureInfo.InvariantCulture)} % busy" : ""));
            table.AddRow("latency, closed loop p99", Ms(r.ClosedLoopP99Ms));
            table.AddRow("outcome mix (closed loop)", Markup.Escape(r.OutcomeMix));
        }

        table.AddRow("warm-up before the measured runs", F(r.WarmupIntents) + " intents");
        table.AddRow("load average before / after", $"{r.LoadAverageBefore} / {r.LoadAverageAfter}");
        AnsiConsole.Write(table);
        if (r.Profile is { } profile)
        {
            PrintProfile(profile);
        }
    }

    /// <summary>Where the time goes: the gateway's spans and instruments over its whole life (warm-up included).</summary>
    private static void PrintProfile(JsonElement profile)
    {
        var spans = new Table().Border(TableBorder.Rounded).Title("[bold]gateway profile: spans (CommsGateway.Intents)[/]")
            .AddColumns("span", "count", "total ms", "mean ms", "p50 ms", "p99 ms");
        foreach (var span in profile.GetProperty("spans").EnumerateArray())
        {
            spans.AddRow(Markup.Escape(span.GetProperty("name").GetString()!), span.GetProperty("count").ToString(), span.GetProperty("total_ms").ToString(),
                span.GetProperty("mean_ms").ToString(), span.GetProperty("p50_ms").ToString(), span.GetProperty("p99_ms").ToString());
        }

        if (profile.GetProperty("spans").GetArrayLength() == 0)
        {
            spans.AddRow("(no spans: this build's pipeline emits none)", "", "", "", "", "");
        }

        AnsiConsole.Write(spans);
        var instruments = new Table().Border(TableBorder.Rounded).Title("[bold]gateway profile: instruments[/]")
            .AddColumns("instrument", "tags", "count", "sum", "p50", "p99");
        foreach (var item in profile.GetProperty("instruments").EnumerateArray())
        {
            instruments.AddRow(Markup.Escape(item.GetProperty("name").GetString()!), Markup.Escape(item.GetProperty("tags").GetString()!),
                item.GetProperty("count").ToString(), item.GetProperty("sum").ToString(),
                item.GetProperty("p50").ToString(), item.GetProperty("p99").ToString());
        }

        AnsiConsole.Write(instruments);
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CommsGateway.Cli.Bench;
using CommsGateway.Hosting;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// `commsgw bench`: raw RabbitMQ baseline, raw PostgreSQL (the gateway's write path alone), the gateway in-process,
/// the raw baseline again (drift), on the servers scripts/servers.sh runs, each phase in its own vhost/database.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var count = new Option<int>("-n", "--count") { Description = "Messages / rows / intents per phase", DefaultValueFactory = _ => 20_000 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (figures) on stdout instead of the table" };
        var openLoop = new Option<bool>("--open-loop")
        {
            Description = "After the max-rate run, offer intents at half that rate and report latency from that run",
        };
        var rate = new Option<double?>("--rate")
        {
            Description = "With --open-loop: offer this many intents/s instead of half the measured max (compare runs at one rate)",
        };
        var gatewayOnly = new Option<bool>("--gateway-only") { Description = "Skip the raw broker and database phases (quick iterations; no ratio)" };
        var command = new Command("bench", "Measure decisions/s against the raw broker and database, latency and memory") { count, json, openLoop, rate, gatewayOnly };
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

            var report = await RunAsync(n, parse.GetValue(openLoop), offered, parse.GetValue(json), parse.GetValue(gatewayOnly), ct);
            if (parse.GetValue(json))
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

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    internal sealed record BenchReport(
        int N,
        double RawBrokerMsgsPerS,
        double RawBrokerAgainMsgsPerS,
        double RawDbRowsPerS,
        double RawDbUnchainedRowsPerS,
        double GatewayDecisionsPerS,
        double Ratio,
        double P50Ms,
        double P95Ms,
        double P99Ms,
        double PeakWorkingSetMb,
        string LatencyMode,
        double? OfferedRatePerS,
        double ClosedLoopP99Ms,
        int PrefetchCount,
        int ConcurrentMessageLimit,
        string OutcomeMix,
        string Stages);

    private static async Task<BenchReport> RunAsync(int n, bool openLoop, double? offeredRate, bool quiet, bool gatewayOnly, CancellationToken ct)
    {
        void Say(string text)
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

        await using var servers = BenchServers.FromEnvironment();
        var rawVhost = await servers.CreateVirtualHostAsync(ct);
        var rabbit = new RabbitMqOptions();

        double raw1 = double.NaN, db = double.NaN, dbUnchained = double.NaN;
        if (!gatewayOnly)
        {
            Say($"1/4 raw RabbitMQ.Client: {n} persistent 1 KB messages, confirms window 200, prefetch 250 ...");
            raw1 = await RawBrokerBench.RunAsync(servers, rawVhost, n, ct);
            Say($"    {raw1:N0} msgs/s");

            Say($"2/4 raw PostgreSQL: {n} decision rows through the gateway's write path, {rabbit.ConcurrentMessageLimit} concurrent callers ...");
            (db, var dbProfile) = await RawDatabaseBench.RunAsync(servers, n, rabbit.ConcurrentMessageLimit, chained: true, ct);
            Say($"    {db:N0} rows/s hash-chained: {dbProfile}");
            (dbUnchained, var unchainedProfile) = await RawDatabaseBench.RunAsync(servers, n, rabbit.ConcurrentMessageLimit, chained: false, ct);
            Say($"    {dbUnchained:N0} rows/s same batching, no chain: {unchainedProfile}");
        }

        Say($"3/4 gateway in-process: {n} intents, plain JSON, publish -> decision committed ...");
        GatewayRun closed;
        GatewayRun? open = null;
        await using (var gateway = await GatewayBench.StartAsync(servers, ct))
        {
            rabbit = gateway.Rabbit;
            // Warm-up (JIT, connection pools, queue/exchange bindings) is not what we measure.
            await gateway.RunClosedLoopAsync(Math.Min(2_000, n), ct);
            closed = await gateway.RunClosedLoopAsync(n, ct);
            Say($"    {closed.DecisionsPerSecond:N0} decisions/s, p99 {closed.P99Ms:N1} ms (closed loop: includes queueing)");
            Say($"    stages: {closed.Stages}");
            Say($"    outcomes: {closed.Outcomes}");
            if (openLoop)
            {
                var rate = offeredRate ?? closed.DecisionsPerSecond / 2;
                Say($"    open loop at {rate:N0} intents/s ...");
                open = await gateway.RunOpenLoopAsync(n, rate, ct);
                Say($"    p50 {open.P50Ms:N1} ms, p95 {open.P95Ms:N1} ms, p99 {open.P99Ms:N1} ms");
                Say($"    stages: {open.Stages}");
                Say($"    outcomes: {open.Outcomes}");
            }
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
        return new BenchReport(n, Math.Round(rawBroker), Z(raw2), Z(db), Z(dbUnchained), Math.Round(closed.DecisionsPerSecond),
            gatewayOnly ? 0 : Math.Round(closed.DecisionsPerSecond / rawBroker, 3), Math.Round(latency.P50Ms, 2), Math.Round(latency.P95Ms, 2),
            Math.Round(latency.P99Ms, 2), Math.Round(Math.Max(closed.PeakWorkingSetMb, open?.PeakWorkingSetMb ?? 0), 1),
            open is null ? "closed_loop" : "open_loop", open is null ? null : Math.Round(closed.DecisionsPerSecond / 2),
            Math.Round(closed.P99Ms, 2), rabbit.PrefetchCount, rabbit.ConcurrentMessageLimit, closed.Outcomes, closed.Stages);
    }

    private static void Print(BenchReport r)
    {
        string F(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        string Ms(double v) => v.ToString("N1", CultureInfo.InvariantCulture) + " ms";
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]commsgw bench, n = {r.N:N0}[/]").AddColumns("figure", "value");
        table.AddRow("raw broker (RabbitMQ.Client 7), mean of runs 1 and 4", F(r.RawBrokerMsgsPerS) + " msgs/s");
        table.AddRow("raw broker, run 4 alone (drift)", F(r.RawBrokerAgainMsgsPerS) + " msgs/s");
        table.AddRow("raw PostgreSQL (decision write path, hash-chained)", F(r.RawDbRowsPerS) + " rows/s");
        table.AddRow("raw PostgreSQL, same batching without the chain", F(r.RawDbUnchainedRowsPerS) + " rows/s");
        table.AddRow("[bold]gateway[/]", "[bold]" + F(r.GatewayDecisionsPerS) + " decisions/s[/]");
        table.AddRow("ratio gateway / raw broker", r.Ratio.ToString("0.000", CultureInfo.InvariantCulture));
        table.AddRow($"latency publish -> committed ({r.LatencyMode.Replace('_', ' ')}{(r.OfferedRatePerS is { } rate ? $" at {F(rate)}/s" : "")})",
            $"p50 {Ms(r.P50Ms)}, p95 {Ms(r.P95Ms)}, p99 {Ms(r.P99Ms)}");
        table.AddRow("peak working set (gateway + producer)", r.PeakWorkingSetMb.ToString("N1", CultureInfo.InvariantCulture) + " MB");
        table.AddRow("prefetch / concurrent messages", $"{r.PrefetchCount} / {r.ConcurrentMessageLimit}");
        table.AddRow("outcome mix (closed loop)", Markup.Escape(r.OutcomeMix));
        AnsiConsole.Write(table);
    }
}

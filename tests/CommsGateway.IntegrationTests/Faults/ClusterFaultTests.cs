using System.Diagnostics;
using CommsGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace CommsGateway.IntegrationTests.Faults;

/// <summary>
/// A three-node RabbitMQ cluster (private nodes, never the shared 5672 one) holding the intent queue as a quorum
/// queue; two gateways (one in this process, one a child process) consume it while a producer publishes with
/// confirms. The node leading the queue is killed with SIGKILL mid-run, then started again on its data.
/// </summary>
[Collection(FaultCollection.Name)]
[Trait("Category", "Fault")]
public sealed class ClusterFaultTests(ITestOutputHelper output)
{
    private const int Count = 1_500;
    private const string Queue = "commsgw-intents";

    [Fact]
    public async Task Should_lose_nothing_and_send_nothing_twice_when_the_node_leading_the_intent_queue_is_killed()
    {
        var setup = Stopwatch.StartNew();
        await using var cluster = await PrivateRabbitCluster.StartAsync();
        output.WriteLine($"cluster of {cluster.Nodes.Count} up in {setup.Elapsed.TotalSeconds:F1} s: {string.Join(", ", cluster.Nodes.Select(n => $"{n.Name} :{n.Port}"))}");
        await using var servers = await TestServers.StartAsync(); // an isolated database on the shared PostgreSQL
        var env = new FaultEnvironment(servers.ConnectionString, "127.0.0.1", cluster.Nodes[0].Port, "/", "guest", "guest")
        {
            ClusterNodes = cluster.Endpoints,
        };
        await using var run = await FaultRun.StartAsync(env, output, instances: 1, processes: 1);
        var intents = await run.SeededIntentsAsync(Count);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var clock = Stopwatch.StartNew();

        // Paced so that publishing is still under way when the node dies (about 200 intents/s).
        var publishing = run.PublishAsync(intents, TimeSpan.FromMilliseconds(250), cts.Token);
        // Mid-run for both sides: half the intents confirmed, the producer still publishing, the gateways deciding.
        while (run.Published < Count / 2 && !publishing.IsCompleted)
        {
            await Task.Delay(50, cts.Token);
        }

        await run.WaitForDecisionsAsync(1, TimeSpan.FromSeconds(60));
        var (leader, online) = await cluster.QuorumStateAsync(Queue);
        Assert.Equal(3, online.Count); // replicated on every node before the fault
        var victim = cluster.Node(leader);
        var decidedAtKill = await run.DecidedCountAsync();
        var killedAt = clock.Elapsed;
        await victim.KillAsync();
        output.WriteLine($"killed {leader} (leader of {Queue}) with SIGKILL at {killedAt.TotalSeconds:F1} s, after {run.Published} intents confirmed and {decidedAtKill} decided");

        var resume = await MeasureResumeAsync(run, cluster, victim, clock, killedAt, cts.Token);
        output.WriteLine($"new leader {resume.Leader} after {resume.LeaderAfter.TotalSeconds:F1} s; decisions resumed {resume.Decisions.TotalSeconds:F1} s after the kill");

        await publishing;
        await run.SettleAsync(Count, TimeSpan.FromSeconds(120));
        var figures = await run.AssertInvariantsAsync(intents, clock);
        Assert.Equal(Count, figures.ReachedProvider);

        await victim.RestartAsync();
        var rejoined = Stopwatch.StartNew();
        IReadOnlyList<string> members = [];
        while (rejoined.Elapsed < TimeSpan.FromSeconds(90))
        {
            (_, members) = await cluster.QuorumStateAsync(Queue);
            if (members.Count == 3)
            {
                break;
            }

            await Task.Delay(500);
        }

        output.WriteLine($"{victim.Name} back: {members.Count} members of {Queue} online after {rejoined.Elapsed.TotalSeconds:F1} s ({string.Join(", ", members)})");
        Assert.Equal(3, members.Count);
        Assert.Contains(victim.Name, members);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), $"scenario took {clock.Elapsed}");
    }

    private sealed record Resume(string Leader, TimeSpan LeaderAfter, TimeSpan Decisions);

    /// <summary>
    /// From the kill: when a surviving node names a new leader, and when decisions resume, i.e. the first decision
    /// committed after both gateways consume the queue again (decisions of messages already in flight at the kill
    /// do not count: they were delivered before it).
    /// </summary>
    private static async Task<Resume> MeasureResumeAsync(FaultRun run, PrivateRabbitCluster cluster, ClusterNode victim, Stopwatch clock,
        TimeSpan killedAt, CancellationToken ct)
    {
        string? leader = null;
        var leaderAfter = TimeSpan.Zero;
        long? decidedWhenConsuming = null;
        while (!ct.IsCancellationRequested)
        {
            if (leader is null)
            {
                try
                {
                    var (current, _) = await cluster.QuorumStateAsync(Queue, except: victim);
                    if (current.Length > 0 && current != victim.Name)
                    {
                        leader = current;
                        leaderAfter = clock.Elapsed - killedAt;
                    }
                }
                catch (InvalidOperationException)
                {
                    // the surviving nodes are still electing
                }
            }

            if (leader is not null && decidedWhenConsuming is null && await run.ConsumersAsync() >= 2)
            {
                decidedWhenConsuming = await run.DecidedCountAsync();
            }

            var decided = await run.DecidedCountAsync();
            if ((decidedWhenConsuming is { } baseline && decided > baseline) || decided >= Count)
            {
                return new Resume(leader!, leaderAfter, clock.Elapsed - killedAt);
            }

            await Task.Delay(200, ct);
        }

        throw new TimeoutException("decisions did not resume");
    }
}

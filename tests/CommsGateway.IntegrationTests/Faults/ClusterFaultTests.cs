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
        await run.WaitForConsumersAsync(TimeSpan.FromSeconds(60));
        // Asked before publishing: rabbitmqctl takes seconds on a loaded machine, the kill must not wait for it.
        var (leader, online) = await cluster.QuorumStateAsync(Queue);
        Assert.Equal(3, online.Count); // replicated on every node before the fault
        var victim = cluster.Node(leader);
        var clock = Stopwatch.StartNew();

        // Paced so that publishing is still under way when the node dies (about 125 intents/s).
        var publishing = run.PublishAsync(intents, TimeSpan.FromMilliseconds(400), cts.Token);
        // Mid-run for both sides: half the intents confirmed, the producer still publishing, the gateways deciding.
        while (run.Published < Count / 2 && !publishing.IsCompleted)
        {
            await Task.Delay(20, cts.Token);
        }

        var publishedAtKill = run.Published;
        var killedAt = clock.Elapsed;
        await victim.KillAsync();
        var decidedAtKill = await run.DecidedCountAsync();
        output.WriteLine($"killed {leader} (leader of {Queue}) with SIGKILL at {killedAt.TotalSeconds:F1} s, after {publishedAtKill} intents confirmed and {decidedAtKill} decided");

        // The batch being published at the kill may have been confirmed before it: the first intent surely published after it.
        var firstAfterKill = intents[Math.Min(Count - 1, publishedAtKill + 50)].IntentId;
        var resume = await MeasureResumeAsync(run, cluster, victim, firstAfterKill, clock, killedAt, output);
        output.WriteLine($"new leader {resume.Leader}; decisions resumed {resume.Decisions.TotalSeconds:F1} s after the kill (first decision of an intent published after it)");

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

    private sealed record Resume(string Leader, TimeSpan Decisions);

    /// <summary>
    /// From the kill until the first decision of an intent published after it (decisions of messages already
    /// delivered before the kill do not count). The queue's consumer count is no guide: consumers of the dead node
    /// stay listed (suspected down) until it returns. The new leader is asked in the background (rabbitmqctl is slow).
    /// </summary>
    private static async Task<Resume> MeasureResumeAsync(FaultRun run, PrivateRabbitCluster cluster, ClusterNode victim, string firstAfterKill,
        Stopwatch clock, TimeSpan killedAt, ITestOutputHelper output)
    {
        var leader = Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 30; attempt++)
            {
                try
                {
                    var (current, _) = await cluster.QuorumStateAsync(Queue, except: victim);
                    if (current.Length > 0 && current != victim.Name)
                    {
                        return current;
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
                {
                    // the surviving nodes are still electing
                }

                await Task.Delay(500);
            }

            return "(none reported)";
        });
        var lastReport = TimeSpan.Zero;
        while (clock.Elapsed - killedAt < TimeSpan.FromSeconds(120))
        {
            if (await run.DecidedSinceAsync(firstAfterKill) > 0)
            {
                return new Resume(await leader, clock.Elapsed - killedAt);
            }

            if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(5))
            {
                lastReport = clock.Elapsed;
                output.WriteLine($"after the kill, {(clock.Elapsed - killedAt).TotalSeconds:F1} s: {await run.ConsumersAsync()} consumer(s) listed, {await run.DecidedCountAsync()} decided");
            }

            await Task.Delay(200);
        }

        foreach (var entry in run.Logs.Entries.TakeLast(60))
        {
            output.WriteLine("log: " + (entry.Length > 600 ? entry[..600] + " …" : entry));
        }

        run.PrintProcessOutput(60);
        throw new TimeoutException($"decisions did not resume within 120 s of the kill (leader: {(leader.IsCompleted ? await leader : "unknown")})");
    }
}

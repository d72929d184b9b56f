using System.Text;
using CommsGateway.FakeProviders;
using CommsGateway.Features.Intents;
using CommsGateway.Hosting;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace CommsGateway.IntegrationTests.Features.Intents;

/// <summary>
/// The runbook's migration (runbooks/quorum-queues.md) on a real broker: a gateway that ran with classic queues is
/// stopped with intents waiting, `commsgw queue migrate` re-declares the queues as quorum queues, and a gateway with
/// the default (quorum) settings decides every intent once.
/// </summary>
public sealed class QueueMigrationTests
{
    private const string Queue = "commsgw-intents";
    private const int Count = 120;

    [Fact]
    public async Task Should_decide_every_intent_once_after_moving_a_classic_intent_queue_holding_intents_to_a_quorum_queue()
    {
        await using var servers = await TestServers.StartAsync();
        await using var fake = await FakeProviderServer.StartAsync();
        var settings = servers.GatewaySettings();
        foreach (var (key, value) in FakeProviderSettings.For(fake))
        {
            settings[key] = value;
        }

        var rabbit = new RabbitMqOptions
        {
            Host = servers.RabbitHost, Port = servers.RabbitPort, VirtualHost = servers.RabbitVirtualHost,
            Username = servers.RabbitUser, Password = servers.RabbitPassword,
        };
        var tenant = "migrate-" + Guid.NewGuid().ToString("N")[..8];

        // A gateway of before: classic queues, declared by MassTransit; then stopped, as the runbook's first step.
        await using (var classic = Gateway(new Dictionary<string, string?>(settings) { ["RabbitMq:QueueType"] = "Classic" }))
        {
            await WaitForConsumerAsync(rabbit);
        }

        await SeedAsync(servers.ConnectionString, tenant);
        await using (var connection = await rabbit.ConnectAsync("test-producer", CancellationToken.None))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            // Producers keep publishing while no gateway runs: to the queue through the default exchange, and to its exchange.
            for (var i = 0; i < Count; i++)
            {
                var properties = new BasicProperties { ContentType = "application/json", Persistent = true, MessageId = $"{tenant}-{i}" };
                await channel.BasicPublishAsync(i % 3 == 0 ? Queue : "", i % 3 == 0 ? "" : Queue, mandatory: true, properties, Intent(tenant, i));
            }
        }

        Assert.Equal("classic", await QueueTypeAsync(rabbit));
        var results = await new QueueMigration(rabbit).MigrateAsync(QueueMigration.GatewayQueues(Queue), CancellationToken.None);

        var intentQueue = results.Single(r => r.Queue == Queue);
        Assert.Equal("re-declared", intentQueue.Action);
        Assert.Equal(Count, intentQueue.Moved);
        // The contact-change endpoint's queue too, or the quorum gateway could not declare it.
        Assert.Equal("re-declared", results.Single(r => r.Queue == QueueMigration.ContactChangesQueue).Action);
        Assert.Equal("quorum", await QueueTypeAsync(rabbit));
        Assert.Equal((uint)Count, await DepthAsync(rabbit, Queue));
        Assert.Null(await DepthAsync(rabbit, Queue + QueueMigration.HoldingSuffix)); // the holding queue is gone

        // Run again: nothing left to do.
        Assert.All(await new QueueMigration(rabbit).MigrateAsync(QueueMigration.GatewayQueues(Queue), CancellationToken.None), r => Assert.Contains(r.Action, (string[])["already as configured", "absent"]));

        await using (var quorum = Gateway(settings))
        {
            await WaitForDecisionsAsync(servers.ConnectionString, tenant, Count);
        }

        await using var db = new NpgsqlConnection(servers.ConnectionString);
        var perIntent = (await db.QueryAsync<(string IntentId, long Count)>(
            "select intent_id, count(*) from decisions where tenant_id = @tenant group by intent_id", new { tenant })).ToList();
        Assert.Equal(Count, perIntent.Count);
        Assert.All(perIntent, p => Assert.Equal(1, p.Count));
        Assert.Equal(Count, fake.AcceptedPerIntent.Count(a => a.Key.StartsWith(tenant, StringComparison.Ordinal) && a.Value == 1));
    }

    private static WebApplicationFactory<Program> Gateway(Dictionary<string, string?> settings)
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
        });
        _ = factory.Server;
        return factory;
    }

    private static byte[] Intent(string tenant, int i) => Encoding.UTF8.GetBytes(
        $$"""{"intentId":"{{tenant}}-{{i}}","tenantId":"{{tenant}}","producer":"migration","patientId":"p-{{i}}","channel":"email","declaredPurpose":"service","category":"appointment_reminder","to":"p{{i}}@example.org","subject":"Your appointment","body":"Reminder: your appointment is tomorrow at 10:30."}""");

    private static async Task SeedAsync(string connectionString, string tenant)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.ExecuteAsync("insert into tenants (tenant_id, name) values (@tenant, 'Migration clinic')", new { tenant });
        await db.OpenAsync();
        await TestSenders.StoreAsync(db, tenant);
        await db.ExecuteAsync("""
            insert into contacts (tenant_id, patient_id, email, locale, time_zone, updated_by)
            select @tenant, 'p-' || i, 'p' || i || '@example.org', 'en', 'Europe/Paris', 'tests' from generate_series(0, @last) as i
            """, new { tenant, last = Count - 1 });
    }

    /// <summary>"quorum" when the queue accepts the quorum declaration, "classic" when it accepts a plain one.</summary>
    private static async Task<string> QueueTypeAsync(RabbitMqOptions rabbit)
    {
        var quorum = new RabbitMqOptions { QueueType = RabbitQueueType.Quorum };
        await using var connection = await rabbit.ConnectAsync("test-probe", CancellationToken.None);
        foreach (var (type, arguments) in (IEnumerable<(string, Dictionary<string, object?>)>)[("quorum", RabbitMqTopology.ConsumedQueueArguments(quorum, Queue)), ("classic", [])])
        {
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments);
                return type;
            }
            catch (OperationInterruptedException)
            {
                // inequivalent arguments: the other type
            }
        }

        throw new InvalidOperationException("neither a quorum nor a classic declaration matches " + Queue);
    }

    private static async Task<uint?> DepthAsync(RabbitMqOptions rabbit, string queue)
    {
        await using var connection = await rabbit.ConnectAsync("test-probe", CancellationToken.None);
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException)
        {
            return null;
        }
    }

    private static async Task WaitForConsumerAsync(RabbitMqOptions rabbit)
    {
        for (var i = 0; i < 300; i++)
        {
            await using var connection = await rabbit.ConnectAsync("test-probe", CancellationToken.None);
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                if ((await channel.QueueDeclarePassiveAsync(Queue)).ConsumerCount > 0)
                {
                    return;
                }
            }
            catch (OperationInterruptedException)
            {
                // not declared yet
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("the classic gateway never consumed " + Queue);
    }

    private static async Task WaitForDecisionsAsync(string connectionString, string tenant, int count)
    {
        for (var i = 0; i < 600; i++)
        {
            await using var db = new NpgsqlConnection(connectionString);
            // Decided, and every send settled: a decision is committed before its provider call, so the gateway must
            // not be stopped between the two.
            if (await db.ExecuteScalarAsync<long>("select count(distinct intent_id) from decisions where tenant_id = @tenant", new { tenant }) >= count
                && await db.ExecuteScalarAsync<long>("select count(*) from dispatches where tenant_id = @tenant and status <> 'dispatching'", new { tenant }) >= count)
            {
                return;
            }

            await Task.Delay(200);
        }
    }
}

using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace CommsGateway.Cli.Bench;

/// <summary>
/// The ceiling: RabbitMQ.Client 7 alone, no MassTransit, no database. N persistent 1 KB messages to a classic
/// durable queue with publisher confirms (window 200), consumed at the same time with prefetch 250 and
/// multiple-acks. msgs/s = N / (first publish -> last message consumed).
/// </summary>
internal static class RawBrokerBench
{
    private const int ConfirmWindow = 200;
    private const ushort Prefetch = 250;
    private const int AckEvery = 50;

    public static async Task<double> RunAsync(BenchServers servers, string virtualHost, int n, CancellationToken ct)
    {
        var factory = new ConnectionFactory
        {
            HostName = servers.RabbitHost, Port = servers.RabbitPort, VirtualHost = virtualHost,
            UserName = servers.RabbitUser, Password = servers.RabbitPassword, ClientProvidedName = "commsgw-bench-raw",
        };
        var queue = "bench-raw-" + Guid.NewGuid().ToString("N")[..8];
        await using var consumerConnection = await factory.CreateConnectionAsync(ct);
        await using var publisherConnection = await factory.CreateConnectionAsync(ct);
        await using var consumerChannel = await consumerConnection.CreateChannelAsync(cancellationToken: ct);
        await consumerChannel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "classic" }, cancellationToken: ct);
        await consumerChannel.BasicQosAsync(0, Prefetch, false, ct);

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0;
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var count = ++received; // deliveries on one channel are dispatched one at a time
            if (count % AckEvery == 0 || count == n)
            {
                await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: true, ct);
            }

            if (count == n)
            {
                done.TrySetResult();
            }
        };
        await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer, ct);

        var body = new byte[1024];
        Random.Shared.NextBytes(body);
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true,
            outstandingPublisherConfirmationsRateLimiter: new ThrottlingRateLimiter(ConfirmWindow));
        await using var publisher = await publisherConnection.CreateChannelAsync(options, ct);
        var properties = new BasicProperties { Persistent = true, ContentType = "application/octet-stream" };

        var clock = Stopwatch.StartNew();
        var pending = new List<ValueTask>(ConfirmWindow);
        for (var i = 0; i < n; i++)
        {
            pending.Add(publisher.BasicPublishAsync("", queue, mandatory: false, properties, body, ct));
            if (pending.Count == ConfirmWindow)
            {
                await DrainAsync(pending);
            }
        }

        await DrainAsync(pending);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5), ct);
        var elapsed = clock.Elapsed;
        await consumerChannel.QueueDeleteAsync(queue, cancellationToken: CancellationToken.None);
        return n / elapsed.TotalSeconds;
    }

    private static async Task DrainAsync(List<ValueTask> pending)
    {
        foreach (var task in pending)
        {
            await task;
        }

        pending.Clear();
    }
}

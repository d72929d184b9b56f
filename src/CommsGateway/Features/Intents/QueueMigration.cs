using CommsGateway.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace CommsGateway.Features.Intents;

/// <summary>What the migration did to one queue.</summary>
public sealed record QueueMigrationResult(string Queue, string Action, long Moved);

/// <summary>
/// Re-declares the gateway's queues with the configured type and arguments (classic to quorum, or a quorum queue whose
/// arguments changed) without losing a message. RabbitMQ cannot change a queue's type in place, so each queue is
/// emptied into a holding quorum queue, deleted, declared again, and refilled. Publishes to the queue's exchange go to
/// the holding queue meanwhile; a publish through the default exchange in the instant between delete and declare is
/// unroutable (returned to a producer publishing with mandatory, which republishes it). Refuses to run while the queue
/// has consumers: the gateways must be stopped first (runbooks/quorum-queues.md).
/// </summary>
public sealed class QueueMigration(RabbitMqOptions rabbit)
{
    private const int Batch = 200;
    public const string HoldingSuffix = ".migrating";

    /// <summary>Replicated, and nothing else: nobody consumes it, so no delivery limit or dead-lettering applies.</summary>
    private static readonly Dictionary<string, object?> HoldingArguments = new() { ["x-queue-type"] = "quorum" };

    /// <summary>The endpoint name MassTransit's kebab-case formatter gives the contact-change consumer.</summary>
    public const string ContactChangesQueue = "patient-contact-changed";

    /// <summary>Every queue the gateway consumes: the intent queue and the contact changes.</summary>
    public static IReadOnlyList<string> GatewayQueues(string intentQueue) => [intentQueue, ContactChangesQueue];

    /// <summary>Each consumed queue, then its _error and _skipped queues when they exist.</summary>
    public async Task<IReadOnlyList<QueueMigrationResult>> MigrateAsync(IEnumerable<string> consumedQueues, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(consumedQueues);
        await using var connection = await rabbit.ConnectAsync("commsgw-queue-migration", ct);
        var results = new List<QueueMigrationResult>();
        foreach (var queue in consumedQueues)
        {
            results.Add(await MigrateOneAsync(connection, queue, RabbitMqTopology.ConsumedQueueArguments(rabbit, queue), ct));
            foreach (var derived in (string[])[queue + RabbitMqTopology.ErrorSuffix, queue + RabbitMqTopology.SkippedSuffix])
            {
                results.Add(await MigrateOneAsync(connection, derived, RabbitMqTopology.ErrorQueueArguments(rabbit), ct));
            }
        }

        return results;
    }

    private static async Task<QueueMigrationResult> MigrateOneAsync(IConnection connection, string queue, Dictionary<string, object?> arguments, CancellationToken ct)
    {
        var holding = queue + HoldingSuffix;
        var state = await TryAsync(connection, c => c.QueueDeclarePassiveAsync(queue, ct));
        var holdingState = await TryAsync(connection, c => c.QueueDeclarePassiveAsync(holding, ct));
        if (state is null && holdingState is null)
        {
            return new QueueMigrationResult(queue, "absent", 0);
        }

        if (state is not null && holdingState is null)
        {
            // Declaring with the target arguments succeeds only when the queue already has exactly them.
            if (await TryAsync(connection, c => c.QueueDeclareAsync(queue, true, false, false, arguments, cancellationToken: ct)) is not null)
            {
                return new QueueMigrationResult(queue, "already as configured", 0);
            }

            if (state.ConsumerCount > 0)
            {
                throw new InvalidOperationException($"{queue} has {state.ConsumerCount} consumer(s): stop every gateway instance before migrating it");
            }
        }

        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        await channel.QueueDeclareAsync(holding, true, false, false, HoldingArguments, cancellationToken: ct);
        var exchange = await TryAsync(connection, async c =>
        {
            await c.ExchangeDeclarePassiveAsync(queue, ct);
            return queue;
        }) is not null;
        long moved = 0;
        if (state is not null)
        {
            // The queue's exchange (MassTransit's, producers may publish to it) feeds the holding queue until the swap is done.
            if (exchange)
            {
                await channel.QueueBindAsync(holding, queue, "", cancellationToken: ct);
                await channel.QueueUnbindAsync(queue, queue, "", cancellationToken: ct);
            }

            // A classic queue is deleted only if empty, atomically; a quorum queue has no such delete (see below).
            var classic = await TryAsync(connection, c => c.QueueDeclareAsync(queue, true, false, false, null, cancellationToken: ct)) is not null;
            moved += await DrainAndDeleteAsync(connection, queue, holding, classic, ct);
        }

        // A run interrupted after the delete resumes here: the holding queue still holds everything.
        await channel.QueueDeclareAsync(queue, true, false, false, arguments, cancellationToken: ct);
        if (exchange)
        {
            await channel.QueueBindAsync(queue, queue, "", cancellationToken: ct);
            await channel.QueueUnbindAsync(holding, queue, "", cancellationToken: ct);
        }

        await DrainAndDeleteAsync(connection, holding, queue, ifEmpty: false, ct);
        return new QueueMigrationResult(queue, state is null ? "resumed" : "re-declared", moved);
    }

    /// <summary>
    /// Moves every message of <paramref name="from"/> to <paramref name="to"/>, then deletes <paramref name="from"/>.
    /// With <paramref name="ifEmpty"/> (classic queues) the delete fails if a producer published in between, and the
    /// move starts again. Quorum queues refuse if-empty deletes: the delete follows a check that the queue is empty,
    /// which leaves a publish through the default exchange in that instant to the producer's mandatory flag.
    /// </summary>
    private static async Task<long> DrainAndDeleteAsync(IConnection connection, string from, string to, bool ifEmpty, CancellationToken ct)
    {
        long moved = 0;
        while (true)
        {
            moved += await MoveAsync(connection, from, to, ct);
            if (ifEmpty)
            {
                if (await TryAsync(connection, async c => (object)await c.QueueDeleteAsync(from, ifUnused: false, ifEmpty: true, cancellationToken: ct)) is not null)
                {
                    return moved;
                }
            }
            else if (await TryAsync(connection, c => c.QueueDeclarePassiveAsync(from, ct)) is { MessageCount: 0 })
            {
                await TryAsync(connection, async c => (object)await c.QueueDeleteAsync(from, ifUnused: false, ifEmpty: false, cancellationToken: ct));
                return moved;
            }
        }
    }

    /// <summary>
    /// Get, publish with confirm (mandatory: an unroutable copy throws), then acknowledge the originals: a crash in
    /// between leaves a message in both queues, never in neither; the gateway decides a repeated IntentId once.
    /// </summary>
    private static async Task<long> MoveAsync(IConnection connection, string from, string to, CancellationToken ct)
    {
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        long moved = 0;
        while (true)
        {
            var publishes = new List<Task>(Batch);
            ulong last = 0;
            while (publishes.Count < Batch && await channel.BasicGetAsync(from, autoAck: false, ct) is { } message)
            {
                var properties = new BasicProperties(message.BasicProperties);
                // The quorum queue's own redelivery count restarts in the new queue.
                properties.Headers?.Remove("x-delivery-count");
                publishes.Add(channel.BasicPublishAsync("", to, mandatory: true, properties, message.Body, ct).AsTask());
                last = message.DeliveryTag;
            }

            if (publishes.Count == 0)
            {
                return moved;
            }

            await Task.WhenAll(publishes);
            await channel.BasicAckAsync(last, multiple: true, ct);
            moved += publishes.Count;
        }
    }

    /// <summary>Runs one operation on its own channel: a failed passive declare or delete closes the channel it ran on.</summary>
    private static async Task<T?> TryAsync<T>(IConnection connection, Func<IChannel, Task<T>> operation) where T : class
    {
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return await operation(channel);
        }
        catch (OperationInterruptedException)
        {
            return null;
        }
    }
}

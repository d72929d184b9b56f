using System.Globalization;
using RabbitMQ.Client;

namespace CommsGateway.Hosting;

/// <summary>Kind of queue the gateway declares for the queues whose loss would lose intents or decisions.</summary>
public enum RabbitQueueType
{
    /// <summary>Replicated (Raft): a publish is confirmed once a majority of the nodes holds it.</summary>
    Quorum,

    /// <summary>Single-node queue, for a broker that still holds the gateway's queues as classic ones.</summary>
    Classic,
}

/// <summary>
/// Queue arguments and connection endpoints shared by MassTransit's endpoints and the gateway's own RabbitMQ.Client
/// connections (error-queue sweeper, consumer watchdog, campaign publisher, queue migration), so all of them declare
/// the same queue the same way and reach every node of a cluster.
/// </summary>
public static class RabbitMqTopology
{
    public const string ErrorSuffix = "_error";
    public const string SkippedSuffix = "_skipped";

    /// <summary>
    /// Arguments of a consumed queue (intents, contact changes). A quorum queue counts redeliveries (a consumer whose
    /// connection died with the message unacknowledged); past <see cref="RabbitMqOptions.DeliveryLimit"/> the broker
    /// would drop the message, so it is dead-lettered instead, at-least-once, to the queue's error queue, where the
    /// error-queue sweeper replays or decides it like any faulted intent.
    /// </summary>
    public static Dictionary<string, object?> ConsumedQueueArguments(RabbitMqOptions options, string queue)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.QueueType == RabbitQueueType.Classic)
        {
            return [];
        }

        return new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-delivery-limit"] = options.DeliveryLimit,
            ["x-dead-letter-exchange"] = "",
            ["x-dead-letter-routing-key"] = queue + ErrorSuffix,
            // at-most-once (the default) would drop a dead-lettered message the error queue failed to take.
            ["x-dead-letter-strategy"] = "at-least-once",
            ["x-overflow"] = "reject-publish", // required by at-least-once; no length limit is set, so never hit
        };
    }

    /// <summary>
    /// Arguments of an error or skipped queue: replicated too, but with no delivery limit and no dead-lettering, since
    /// the sweeper puts back (nack, requeue) what it cannot settle yet and a limit there would drop it.
    /// </summary>
    public static Dictionary<string, object?> ErrorQueueArguments(RabbitMqOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.QueueType == RabbitQueueType.Classic ? [] : new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
    }

    /// <summary>The arguments MassTransit copies from a receive endpoint to its error queue but that belong to the endpoint only.</summary>
    public static IReadOnlyList<string> EndpointOnlyArguments { get; } =
        ["x-delivery-limit", "x-dead-letter-exchange", "x-dead-letter-routing-key", "x-dead-letter-strategy", "x-overflow"];

    /// <summary>Every node to try, in order: <see cref="RabbitMqOptions.ClusterNodes"/>, or the single host.</summary>
    public static IList<AmqpTcpEndpoint> Endpoints(this RabbitMqOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ClusterNodes.Count == 0
            ? [new AmqpTcpEndpoint(options.Host, options.Port)]
            : [.. options.ClusterNodes.Select(n => ParseNode(n, options.Port))];
    }

    /// <summary>
    /// A connection to the first node of <see cref="Endpoints"/> that answers, named <paramref name="clientName"/> in the
    /// management UI; <paramref name="configure"/> sets what the caller needs beyond the options (concurrency, timeouts).
    /// </summary>
    public static Task<IConnection> ConnectAsync(this RabbitMqOptions options, string clientName, CancellationToken ct, Action<ConnectionFactory>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var factory = new ConnectionFactory
        {
            VirtualHost = options.VirtualHost,
            UserName = options.Username,
            Password = options.Password,
            ClientProvidedName = clientName,
        };
        configure?.Invoke(factory);
        return factory.CreateConnectionAsync(options.Endpoints(), ct);
    }

    /// <summary>"host:port" or "host" (then <paramref name="defaultPort"/>).</summary>
    public static AmqpTcpEndpoint ParseNode(string node, int defaultPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        var colon = node.LastIndexOf(':');
        return colon > 0 && int.TryParse(node.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? new AmqpTcpEndpoint(node[..colon], port)
            : new AmqpTcpEndpoint(node, defaultPort);
    }
}

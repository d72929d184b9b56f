using System.ComponentModel.DataAnnotations;

namespace CommsGateway.Hosting;

public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    [Required] public string Host { get; set; } = "127.0.0.1";

    [Range(1, 65535)] public int Port { get; set; } = 5672;

    [Required] public string VirtualHost { get; set; } = "/";

    [Required] public string Username { get; set; } = "guest";

    [Required] public string Password { get; set; } = "guest";

    /// <summary>Set explicitly: MassTransit's default (16 on 2 cores) starves a batching consumer.</summary>
    [Range(1, 10_000)] public int PrefetchCount { get; set; } = 256;

    [Range(1, 10_000)] public int ConcurrentMessageLimit { get; set; } = 128;

    /// <summary>Quorum (replicated) by default; Classic only for a broker not yet migrated (runbooks/quorum-queues.md).</summary>
    public RabbitQueueType QueueType { get; set; } = RabbitQueueType.Quorum;

    /// <summary>
    /// Redeliveries (a consumer died holding the message) before a quorum queue dead-letters a message to the error
    /// queue. High enough that broker or gateway restarts never reach it; a message that crashes every gateway does.
    /// </summary>
    [Range(2, 1_000)] public int DeliveryLimit { get; set; } = 20;

    /// <summary>Cluster nodes as "host:port" (or "host", then <see cref="Port"/>), tried in order; empty = <see cref="Host"/> alone.</summary>
    [ClusterNodes] public IList<string> ClusterNodes { get; } = [];
}

/// <summary>Each entry must be "host" or "host:port": a typo must stop the start-up, not leave a node out.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ClusterNodesAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is not IEnumerable<string> nodes || nodes.All(n =>
        {
            var colon = n.LastIndexOf(':');
            return colon < 0
                ? Uri.CheckHostName(n) != UriHostNameType.Unknown
                : Uri.CheckHostName(n[..colon]) != UriHostNameType.Unknown
                  && int.TryParse(n[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
                  && port is > 0 and <= 65535;
        });

    public override string FormatErrorMessage(string name) => $"{name} must list host or host:port entries";
}

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    [Required] public string ConnectionString { get; set; } = "";
}

public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Where patients reach the gateway (unsubscribe links). Must be absolute.</summary>
    [Required, Url] public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Queue the gateway consumes intents from; producers may publish plain JSON straight to it.</summary>
    [Required] public string IntentQueue { get; set; } = "commsgw-intents";

    /// <summary>Start the sweeper that gives every message in the error queue a decision (Rejected or Failed).</summary>
    public bool SweepErrorQueue { get; set; } = true;

    /// <summary>Restart the bus when intents wait this long with no consumer on the queue (0 = off).</summary>
    [Range(0, 3600)] public int ConsumerWatchdogSeconds { get; set; } = 15;

    /// <summary>
    /// Reverse proxies (IP addresses) whose X-Forwarded-For is believed, besides loopback: the client address is
    /// recorded as evidence of an unsubscribe, so a header from anyone else is ignored.
    /// </summary>
    [TrustedProxyAddresses] public IList<string> TrustedProxies { get; } = [];

    /// <summary>
    /// How far ahead an intent's notBefore may be, in days: beyond it the intent is Rejected InvalidField rather than
    /// parked (a year-9999 notBefore would wait in deferred_intents for ever).
    /// </summary>
    [Range(1, 3650)] public int NotBeforeHorizonDays { get; set; } = 400;

    /// <summary>
    /// Whether /openapi needs an API key and /metrics an operator key. Null (the default): public in Development and
    /// Testing, protected in any other environment, where only the API, the webhooks, /u/ and /health are public.
    /// </summary>
    public bool? ManagementRequiresApiKey { get; set; }
}

/// <summary>Each entry must be an IP address: a typo must stop the start-up, not silently distrust the proxy.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TrustedProxyAddressesAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is not IEnumerable<string> addresses || addresses.All(a => System.Net.IPAddress.TryParse(a, out _));

    public override string FormatErrorMessage(string name) => $"{name} must list IP addresses only";
}

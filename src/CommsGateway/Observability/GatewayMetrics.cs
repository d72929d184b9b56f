using System.Diagnostics;
using System.Diagnostics.Metrics;
using CommsGateway.Contracts;

namespace CommsGateway.Observability;

/// <summary>
/// The gateway's own instruments, on the "CommsGateway" meter (exported at /metrics in Prometheus format).
/// Labels are low-cardinality codes only: never a tenant, patient, intent or address.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "CommsGateway";

    /// <summary>
    /// Bucket bounds of every histogram in seconds: 1 ms to 10 s. The SDK's default bounds (0, 5, 10 ... 10000) are
    /// for milliseconds; with them every latency here lands in le="5" and no quantile can be read.
    /// </summary>
    public static readonly IReadOnlyList<double> SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = SecondsBuckets };

    private readonly Counter<long> _decisions;
    private readonly Counter<long> _reasons;
    private readonly Histogram<double> _classification;
    private readonly Histogram<double> _provider;
    private readonly Counter<long> _providerErrors;
    private readonly Histogram<double> _queueLag;
    private long _reviewDepth;
    private double _reviewOldestSeconds;
    private readonly Counter<long> _webhooksRefused;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _decisions = meter.CreateCounter<long>("commsgw.decisions", "{decision}", "Decisions recorded, by outcome and channel");
        _reasons = meter.CreateCounter<long>("commsgw.decision.reasons", "{reason}", "Reason codes on recorded decisions, by outcome");
        _classification = meter.CreateHistogram("commsgw.classification.duration", "s", "Time to classify an intent's content", tags: null, Seconds);
        _provider = meter.CreateHistogram("commsgw.provider.duration", "s", "Provider call latency, by channel and result", tags: null, Seconds);
        _providerErrors = meter.CreateCounter<long>("commsgw.provider.errors", "{error}", "Provider calls that failed, by channel and reason code");
        _webhooksRefused = meter.CreateCounter<long>("commsgw.webhook.refused", "{delivery}",
            "Webhook deliveries refused, by provider and reason (bad_signature, outside_replay_window)");
        _queueLag = meter.CreateHistogram("commsgw.queue.lag", "s", "Publish to consume delay of intents (from the message's SentTime)", tags: null, Seconds);
        meter.CreateObservableGauge("commsgw.review.queue.depth", () => Interlocked.Read(ref _reviewDepth), "{intent}",
            "Held intents waiting for a review or for their decision, all clinics");
        meter.CreateObservableGauge("commsgw.review.queue.oldest", () => Volatile.Read(ref _reviewOldestSeconds), "s",
            "How long the oldest held intent has waited, all clinics");
    }

    public static long Start() => Stopwatch.GetTimestamp();

    public void Decided(DecisionOutcome outcome, Channel channel, IReadOnlyList<string> reasons)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        var outcomeTag = new KeyValuePair<string, object?>("outcome", outcome.ToString());
        _decisions.Add(1, outcomeTag, new KeyValuePair<string, object?>("channel", channel.ToString()));
        foreach (var reason in reasons)
        {
            _reasons.Add(1, outcomeTag, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void Classified(long startTimestamp) =>
        _classification.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);

    public void ProviderCalled(Channel channel, long startTimestamp, bool succeeded, string? reasonCode)
    {
        var channelTag = new KeyValuePair<string, object?>("channel", channel.ToString());
        _provider.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, channelTag,
            new KeyValuePair<string, object?>("result", succeeded ? "ok" : "error"));
        if (!succeeded)
        {
            _providerErrors.Add(1, channelTag, new KeyValuePair<string, object?>("reason", reasonCode ?? "unknown"));
        }
    }

    public void WebhookRefused(string provider, string reason) =>
        _webhooksRefused.Add(1, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("reason", reason));

    public void QueueLag(TimeSpan lag) => _queueLag.Record(Math.Max(0, lag.TotalSeconds));

    /// <summary>The review queue as last read (the gauges report it when scraped).</summary>
    public void ReviewQueue(long depth, TimeSpan oldest)
    {
        Interlocked.Exchange(ref _reviewDepth, depth);
        Volatile.Write(ref _reviewOldestSeconds, Math.Max(0, oldest.TotalSeconds));
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CommsGateway.Features.Intents;

namespace CommsGateway.Cli.Bench;

/// <summary>Wall time per span name of the gateway's intent pipeline (<see cref="IntentTelemetry.Source"/>), summed while listening.</summary>
internal sealed class IntentSpanTotals : IDisposable
{
    private readonly ConcurrentDictionary<string, (long Count, double Ms)> _totals = new(StringComparer.Ordinal);
    private readonly ActivityListener _listener;

    public IntentSpanTotals()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == IntentTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity => _totals.AddOrUpdate(activity.OperationName, (1, activity.Duration.TotalMilliseconds),
                (_, t) => (t.Count + 1, t.Ms + activity.Duration.TotalMilliseconds)),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Reset() => _totals.Clear();

    /// <summary>Per span: mean wall ms and count.</summary>
    public override string ToString() => string.Join(", ", _totals.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t =>
        string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Value.Ms / t.Value.Count:F2} ms (x{t.Value.Count})")));

    public void Dispose() => _listener.Dispose();
}

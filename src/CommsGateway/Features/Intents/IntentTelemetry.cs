using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CommsGateway.Features.Intents;

/// <summary>
/// Where an intent batch's time goes, as OpenTelemetry-style spans (<see cref="Source"/>) and instruments on the
/// gateway's meter. Span names are stable (a listener, e.g. the bench's profile, aggregates them by name):
/// <c>intent.batch</c> (a whole batch, gathered to decided), <c>intent.decide</c> (validate, classify, policy, render),
/// <c>intent.context</c> (the batch's one context read), <c>intent.append</c> (decisions and claims, one transaction),
/// <c>intent.dispatch</c> (provider calls) and <c>intent.complete</c> (dispatch completions);
/// each intent's <c>MessageDecided</c> is published by its own consume after its batch. Without a listener a span costs one branch.
/// </summary>
public sealed class IntentTelemetry
{
    public const string SourceName = "CommsGateway.Intents";

    public static readonly ActivitySource Source = new(SourceName);

    private static readonly InstrumentAdvice<int> Sizes = new() { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] };

    private readonly Histogram<int> _batchSize;
    private readonly Histogram<int> _appendRows;

    public IntentTelemetry(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(Observability.GatewayMetrics.MeterName);
        _batchSize = meter.CreateHistogram("commsgw.intent.batch.size", "{intent}", "Intents per decided batch", tags: null, Sizes);
        _appendRows = meter.CreateHistogram("commsgw.decision_log.append.rows", "{row}",
            "Decision rows per decision-log transaction (one consumed batch, or the single appends the writer grouped)", tags: null, Sizes);
    }

    public void Batch(int intents) => _batchSize.Record(intents);

    public void Appended(int rows) => _appendRows.Record(rows);
}

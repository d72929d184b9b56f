using CommsGateway.Contracts;
using CommsGateway.Infrastructure;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Intents;

/// <summary>
/// Groups consumed intents into batches for <see cref="IntentPipeline.DecideAsync"/>: at most
/// <see cref="IntentBatchOptions.MessageLimit"/> each, <see cref="IntentBatchOptions.ConcurrentBatches"/> decided at once,
/// and a batch forms only when one of them is free, so what arrives meanwhile fills the next batch instead of leaving
/// in small ones at a time limit (MassTransit's <c>Batch&lt;T&gt;</c> closes a batch at its time limit even while it waits
/// for a slot). Each intent's consume awaits its own outcome: nothing is acked before its decision is committed, and a
/// batch that fails fails each of its intents, each retried by MassTransit.
/// </summary>
public sealed class IntentBatches : IAsyncDisposable
{
    private readonly Batcher<IncomingIntent, MessageDecided> _batcher;

    public IntentBatches(IntentPipeline pipeline, IntentTelemetry telemetry, IOptions<IntentBatchOptions> options)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(telemetry);
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _batcher = new Batcher<IncomingIntent, MessageDecided>(async batch =>
        {
            using var activity = IntentTelemetry.Source.StartActivity("intent.batch");
            activity?.SetTag("intent.count", batch.Count);
            telemetry.Batch(batch.Count);
            // Not one consume's token: the batch holds many. A stopping bus waits for its consumes, so for this batch.
            return await pipeline.DecideAsync(batch, CancellationToken.None);
        }, new BatcherOptions(o.MessageLimit, TimeSpan.FromMilliseconds(o.TimeLimitMilliseconds), o.ConcurrentBatches,
            TimeSpan.FromMilliseconds(o.QuietMilliseconds)));
    }

    /// <summary>The intent's outcome, once its batch is decided (committed, and its send answered).</summary>
    public Task<MessageDecided> DecideAsync(IncomingIntent intent) => _batcher.EnqueueAsync(intent);

    public ValueTask DisposeAsync() => _batcher.DisposeAsync();
}

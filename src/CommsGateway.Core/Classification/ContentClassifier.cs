using CommsGateway.Contracts;

namespace CommsGateway.Core.Classification;

/// <summary>
/// Classifies message content as service or marketing. The producer's declared purpose is never an input.
/// Walking-skeleton version: structured marketing blocks only; the content rules come with issue 4.
/// </summary>
public sealed class ContentClassifier
{
    public Classification Classify(MessageIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var marketingBlocks = intent.Blocks?.Count(b => b?.Kind == Purpose.Marketing) ?? 0;
        return marketingBlocks > 0
            ? new Classification(Purpose.Marketing, 1.0, ["blocks: marketing section"])
            : new Classification(Purpose.Service, 0.0, []);
    }
}

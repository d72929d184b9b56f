using CommsGateway.Contracts;

namespace CommsGateway.Core.Policy;

/// <summary>Everything the send policy may look at. The policy itself does no I/O.</summary>
public sealed record PolicyInput(
    MessageIntent Intent,
    Classification.Classification Classification,
    DateTimeOffset Now);

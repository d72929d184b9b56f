using CommsGateway.Contracts;

namespace CommsGateway.Core.Classification;

/// <summary>The classifier's verdict: purpose, score, and the signals that fired (explainable to a DPO).</summary>
public sealed record Classification(Purpose Purpose, double Score, IReadOnlyList<string> Signals);

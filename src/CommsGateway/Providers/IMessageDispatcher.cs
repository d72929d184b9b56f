using CommsGateway.Contracts;

namespace CommsGateway.Providers;

/// <summary>A decided message on its way to a provider.</summary>
public sealed record OutboundMessage(Guid DecisionId, MessageIntent Intent);

public sealed record DispatchResult(bool Succeeded, string? ProviderMessageId, string? ReasonCode, string? Detail)
{
    public static DispatchResult Sent(string providerMessageId) => new(true, providerMessageId, null, null);

    public static DispatchResult Failed(string reasonCode, string detail) => new(false, null, reasonCode, detail);
}

/// <summary>Hands a decided message to the provider for its channel.</summary>
public interface IMessageDispatcher
{
    Task<DispatchResult> DispatchAsync(OutboundMessage message, CancellationToken ct);
}

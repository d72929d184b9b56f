namespace CommsGateway.Providers;

public static class ProvidersFeature
{
    public static IHostApplicationBuilder AddProviders(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IMessageDispatcher, OutboxOnlyDispatcher>();
        return builder;
    }
}

/// <summary>Walking-skeleton dispatcher: records the send as accepted. Replaced by SendGrid/Twilio clients (issue 6).</summary>
internal sealed class OutboxOnlyDispatcher : IMessageDispatcher
{
    public Task<DispatchResult> DispatchAsync(OutboundMessage message, CancellationToken ct) =>
        Task.FromResult(DispatchResult.Sent("local-" + message.DecisionId.ToString("N")));
}

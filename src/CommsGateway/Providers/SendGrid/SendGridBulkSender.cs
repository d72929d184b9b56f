using Microsoft.Extensions.Options;

namespace CommsGateway.Providers.SendGrid;

/// <summary>Campaign emails through SendGrid, sharing requests (filled in below).</summary>
internal sealed class SendGridBulkSender(SendGridDispatcher single, IOptions<SendGridOptions> options)
{
    public bool Accepts(OutboundMessage message) =>
        options.Value.BulkEnabled && message.Channel == Contracts.Channel.Email
        && (message.CampaignId is not null || string.Equals(message.Category, "campaign", StringComparison.Ordinal));

    public Task<DispatchResult> SendAsync(OutboundMessage message, CancellationToken ct) => single.DispatchAsync(message, ct);
}

using CommsGateway.Contracts;
using Microsoft.Extensions.Options;

namespace CommsGateway.Providers.Twilio;

/// <summary>
/// Which approved WhatsApp template a message goes through: the intent's own, else (marketing) the clinic's default
/// <see cref="SenderIdentity.WhatsAppMarketingContentSid"/> with its <see cref="SenderIdentity.WhatsAppUnsubscribeVariable"/>.
/// Resolved before the decision is recorded, so the policy can refuse a template that cannot show the unsubscribe link.
/// </summary>
public sealed class WhatsAppTemplates(IOptions<SenderOptions> senders)
{
    /// <summary>Null for a free-form body (and on every channel but WhatsApp, where Twilio takes no template).</summary>
    public WhatsAppTemplate? For(MessageIntent intent, bool marketing)
    {
        ArgumentNullException.ThrowIfNull(intent);
        if (intent.Channel != Channel.WhatsApp)
        {
            return null;
        }

        if (intent.Template is { ContentSid.Length: > 0 } own)
        {
            return own;
        }

        var sender = senders.Value.For(intent.TenantId);
        return marketing && sender.WhatsAppMarketingContentSid is { Length: > 0 } sid
            ? new WhatsAppTemplate { ContentSid = sid, UnsubscribeVariable = sender.WhatsAppUnsubscribeVariable }
            : null;
    }
}

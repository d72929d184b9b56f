using CommsGateway.Contracts;
using CommsGateway.Core.Policy;

namespace CommsGateway.Providers.Twilio;

/// <summary>
/// Which approved WhatsApp template a message goes through, if any: the intent's own, else, outside the 24-hour
/// window, (marketing) the clinic's default <see cref="ClinicSender.WhatsAppMarketingContentSid"/> with its
/// <see cref="ClinicSender.WhatsAppUnsubscribeVariable"/> (stored with the clinic, in the policy input). The rule is Core's (<see cref="WhatsAppWindow.Choose"/>);
/// this class only supplies the clinic's configured template. Resolved before the decision is recorded, so the policy
/// can block a closed window (WhatsAppWindowClosed) or a template that cannot show the unsubscribe link.
/// </summary>
public sealed class WhatsAppTemplates
{
    public WhatsAppDelivery For(PolicyInput input, bool marketing)
    {
        ArgumentNullException.ThrowIfNull(input);
        var intent = input.Intent;
        if (intent.Channel != Channel.WhatsApp)
        {
            return WhatsAppDelivery.FreeForm;
        }

        var sender = input.Sender;
        var clinic = sender.WhatsAppMarketingContentSid is { Length: > 0 } sid
            ? new WhatsAppTemplate { ContentSid = sid, UnsubscribeVariable = sender.WhatsAppUnsubscribeVariable }
            : null;
        return WhatsAppWindow.Choose(intent.Channel, marketing, intent.Template, clinic, input.LastWhatsAppInboundAt, input.Now,
            input.Settings.WhatsAppWindowEnforced);
    }
}

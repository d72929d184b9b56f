using CommsGateway.Contracts;

namespace CommsGateway.Core.Policy;

/// <summary>How a WhatsApp message goes out: through <see cref="Template"/> (null: a free-form body with the rendered
/// footer), or not at all (<see cref="WindowClosed"/>: outside the 24-hour window with no approved template).</summary>
public sealed record WhatsAppDelivery(WhatsAppTemplate? Template, bool WindowClosed)
{
    public static readonly WhatsAppDelivery FreeForm = new(null, false);

    public static readonly WhatsAppDelivery Closed = new(null, true);
}

/// <summary>
/// WhatsApp's 24-hour customer-service window (Meta's rule, enforced by Twilio with error 63016): a free-form message
/// may be sent only within 24 hours of the patient's last inbound WhatsApp message to the clinic; outside it, only an
/// approved template (Twilio ContentSid + ContentVariables) may be sent.
/// </summary>
public static class WhatsAppWindow
{
    public static readonly TimeSpan Length = TimeSpan.FromHours(24);

    /// <summary>True when the patient wrote less than 24 hours before <paramref name="now"/>.</summary>
    public static bool IsOpen(DateTimeOffset? lastInboundAt, DateTimeOffset now) =>
        lastInboundAt is { } at && now - at < Length;

    /// <summary>
    /// How the intent of <paramref name="input"/> would go out on WhatsApp: <see cref="Choose"/> with the intent's own
    /// template, the clinic's default marketing template (<see cref="ClinicSender.WhatsAppMarketingContentSid"/> with its
    /// <see cref="ClinicSender.WhatsAppUnsubscribeVariable"/>), the patient's last inbound message and the clinic's setting.
    /// </summary>
    public static WhatsAppDelivery For(PolicyInput input, bool marketing)
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
        return Choose(intent.Channel, marketing, intent.Template, clinic, input.LastWhatsAppInboundAt, input.Now,
            input.Settings.WhatsAppWindowEnforced);
    }

    /// <summary>
    /// The intent's own template is the producer's choice and is used whether the window is open or not. Otherwise,
    /// inside the window the message is free-form (its rendered footer carries the link and STOP); outside it,
    /// marketing goes through the clinic's default marketing template, and anything else is <see cref="WhatsAppDelivery.Closed"/>.
    /// With <paramref name="enforced"/> false (tenant setting) the window is not tracked: the intent's template, else
    /// the clinic's for marketing, else free-form, and Twilio has the last word (63016).
    /// </summary>
    public static WhatsAppDelivery Choose(Channel channel, bool marketing, WhatsAppTemplate? intentTemplate,
        WhatsAppTemplate? clinicMarketingTemplate, DateTimeOffset? lastInboundAt, DateTimeOffset now, bool enforced)
    {
        if (channel != Channel.WhatsApp)
        {
            return WhatsAppDelivery.FreeForm;
        }

        if (intentTemplate is { ContentSid.Length: > 0 })
        {
            return new WhatsAppDelivery(intentTemplate, false);
        }

        if (enforced && IsOpen(lastInboundAt, now))
        {
            return WhatsAppDelivery.FreeForm;
        }

        if (marketing && clinicMarketingTemplate is { ContentSid.Length: > 0 })
        {
            return new WhatsAppDelivery(clinicMarketingTemplate, false);
        }

        return enforced ? WhatsAppDelivery.Closed : WhatsAppDelivery.FreeForm;
    }
}

using CommsGateway.Contracts;

namespace CommsGateway.Core.Validation;

/// <summary>Largest body each channel accepts, in characters.</summary>
public static class ChannelLimits
{
    /// <summary>Twilio refuses SMS bodies over 1,600 characters (10 concatenated segments).</summary>
    public const int SmsBody = 1_600;

    /// <summary>WhatsApp session messages carry at most 4,096 characters.</summary>
    public const int WhatsAppBody = 4_096;

    /// <summary>Plain-text email body: generous, but a 2 MB "reminder" is a producer bug, not a message.</summary>
    public const int EmailBody = 100_000;

    public const int EmailHtml = 500_000;

    public const int Subject = 998; // RFC 5322 line limit

    public const int IdentifierLength = 200;

    public static int BodyLimit(Channel channel) => channel switch
    {
        Channel.Sms => SmsBody,
        Channel.WhatsApp => WhatsAppBody,
        Channel.Email => EmailBody,
        _ => EmailBody,
    };
}

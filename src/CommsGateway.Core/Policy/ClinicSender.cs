using System.Text.RegularExpressions;
using CommsGateway.Contracts;
using CommsGateway.Core.Validation;

namespace CommsGateway.Core.Policy;

/// <summary>
/// Who a clinic sends as, per channel: stored with the clinic (tenants row), never borrowed from another clinic or a
/// gateway-wide default. A channel without its identity is blocked (<c>NoSenderIdentity</c>) before anything is sent.
/// Not sealed: the admin API's body is this record plus the clinic's HELP contact.
/// </summary>
public partial record ClinicSender
{
    /// <summary>A clinic with no sender on any channel.</summary>
    public static readonly ClinicSender None = new();

    public string? EmailFrom { get; init; }

    public string? EmailFromName { get; init; }

    public string? ReplyTo { get; init; }

    /// <summary>E.164 long code, toll-free number or short code.</summary>
    public string? SmsFrom { get; init; }

    /// <summary>When set, Twilio picks the SMS sender from this Messaging Service's pool (preferred over SmsFrom).</summary>
    public string? MessagingServiceSid { get; init; }

    /// <summary>E.164 WhatsApp sender, without the <c>whatsapp:</c> prefix.</summary>
    public string? WhatsAppFrom { get; init; }

    /// <summary>Approved template used for WhatsApp marketing when the intent names none.</summary>
    public string? WhatsAppMarketingContentSid { get; init; }

    /// <summary>The content variable of <see cref="WhatsAppMarketingContentSid"/> that shows the unsubscribe link (e.g. "3").</summary>
    public string? WhatsAppUnsubscribeVariable { get; init; }

    /// <summary>True when the clinic has an identity to send on this channel as.</summary>
    public bool CanSend(Channel channel) => channel switch
    {
        Channel.Email => Has(EmailFrom),
        Channel.Sms => Has(SmsFrom) || Has(MessagingServiceSid),
        Channel.WhatsApp => Has(WhatsAppFrom),
        _ => false,
    };

    /// <summary>The stored names of the fields (tenants columns, CLI options without "--", API properties in snake_case).</summary>
    public static readonly IReadOnlyList<string> Fields =
    [
        "email_from", "email_from_name", "reply_to", "sms_from", "messaging_service_sid", "whatsapp_from",
        "whatsapp_marketing_content_sid", "whatsapp_unsubscribe_variable",
    ];

    /// <summary>Null when <paramref name="value"/> is acceptable for <paramref name="field"/>, else why not.</summary>
    public static string? Check(string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null; // clears the field
        }

        if (value.Length > 200 || Identifiers.FirstForbidden(value) is not null)
        {
            return $"{field}: at most 200 characters, no control, bidi or zero-width characters";
        }

        return field switch
        {
            "email_from" or "reply_to" when !EmailPattern().IsMatch(value) => $"{field}: not an email address",
            "sms_from" when !E164Pattern().IsMatch(value) && !ShortCodePattern().IsMatch(value) => $"{field}: an E.164 number (+33...) or a short code (3-8 digits)",
            "whatsapp_from" when !E164Pattern().IsMatch(value) => $"{field}: an E.164 number (+33...), without the whatsapp: prefix",
            "messaging_service_sid" when !SidPattern("MG").IsMatch(value) => $"{field}: MG followed by 32 hex digits",
            "whatsapp_marketing_content_sid" when !SidPattern("HX").IsMatch(value) => $"{field}: HX followed by 32 hex digits",
            _ when !Fields.Contains(field) => $"{field}: not a sender field",
            _ => null,
        };
    }

    /// <summary>One field's value, by its stored name (<see cref="Fields"/>).</summary>
    public string? Get(string field) => field switch
    {
        "email_from" => EmailFrom,
        "email_from_name" => EmailFromName,
        "reply_to" => ReplyTo,
        "sms_from" => SmsFrom,
        "messaging_service_sid" => MessagingServiceSid,
        "whatsapp_from" => WhatsAppFrom,
        "whatsapp_marketing_content_sid" => WhatsAppMarketingContentSid,
        "whatsapp_unsubscribe_variable" => WhatsAppUnsubscribeVariable,
        _ => throw new ArgumentException($"not a sender field: {field}", nameof(field)),
    };

    /// <summary>A copy with one field set (null or empty clears it).</summary>
    public ClinicSender With(string field, string? value)
    {
        var v = string.IsNullOrEmpty(value) ? null : value;
        return field switch
        {
            "email_from" => this with { EmailFrom = v },
            "email_from_name" => this with { EmailFromName = v },
            "reply_to" => this with { ReplyTo = v },
            "sms_from" => this with { SmsFrom = v },
            "messaging_service_sid" => this with { MessagingServiceSid = v },
            "whatsapp_from" => this with { WhatsAppFrom = v },
            "whatsapp_marketing_content_sid" => this with { WhatsAppMarketingContentSid = v },
            "whatsapp_unsubscribe_variable" => this with { WhatsAppUnsubscribeVariable = v },
            _ => throw new ArgumentException($"not a sender field: {field}", nameof(field)),
        };
    }

    private static bool Has(string? value) => !string.IsNullOrWhiteSpace(value);

    private static Regex SidPattern(string prefix) => prefix == "MG" ? MessagingServicePattern() : ContentPattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164Pattern();

    [GeneratedRegex(@"^[0-9]{3,8}$")]
    private static partial Regex ShortCodePattern();

    [GeneratedRegex(@"^MG[0-9a-fA-F]{32}$")]
    private static partial Regex MessagingServicePattern();

    [GeneratedRegex(@"^HX[0-9a-fA-F]{32}$")]
    private static partial Regex ContentPattern();
}

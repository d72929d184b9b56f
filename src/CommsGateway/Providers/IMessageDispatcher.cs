using CommsGateway.Contracts;
using CommsGateway.Core.Policy;

namespace CommsGateway.Providers;

/// <summary>
/// A decided message on its way to a provider, already rendered: what the patient receives. The rendering
/// work (unsubscribe footer, List-Unsubscribe headers, recipient from the contact directory) fills these
/// fields; providers only transport them. <see cref="Sender"/> is the clinic's own identity, read with the decision;
/// From/FromName/ReplyTo, when set, override its email fields.
/// </summary>
public sealed record OutboundMessage
{
    public required Guid DecisionId { get; init; }

    public required string IntentId { get; init; }

    public required string TenantId { get; init; }

    public required Channel Channel { get; init; }

    /// <summary>The purpose the gateway detected (not the producer's claim): drives categories and WhatsApp templates.</summary>
    public required Purpose Purpose { get; init; }

    public string? Category { get; init; }

    /// <summary>The campaign the intent belongs to: its emails may share one SendGrid request (see SendGridBulkSender).</summary>
    public string? CampaignId { get; init; }

    /// <summary>Email address or E.164 number (no <c>whatsapp:</c> prefix; the Twilio client adds it).</summary>
    public string? To { get; init; }

    /// <summary>Who the clinic sends as (stored with the clinic; never another clinic's or a gateway default).</summary>
    public ClinicSender Sender { get; init; } = ClinicSender.None;

    public string? From { get; init; }

    public string? FromName { get; init; }

    public string? ReplyTo { get; init; }

    public string? Subject { get; init; }

    public string Text { get; init; } = "";

    public string? Html { get; init; }

    /// <summary>Extra email headers (List-Unsubscribe, List-Unsubscribe-Post per RFC 2369 / RFC 8058).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Approved WhatsApp template (Twilio Content API), required for marketing outside the 24-hour window: the intent's,
    /// else the clinic's default for marketing (chosen by Core, <see cref="Core.Policy.WhatsAppWindow.For"/>).
    /// </summary>
    public WhatsAppTemplate? Template { get; init; }

    /// <summary>The signed unsubscribe link of a marketing message; a template shows it in its unsubscribe variable.</summary>
    public Uri? UnsubscribeUrl { get; init; }
}

/// <summary>What the provider said. <see cref="Permanent"/> failures are never retried at any level.</summary>
public sealed record DispatchResult(bool Succeeded, string Provider, string? ProviderMessageId, string? ReasonCode, string? Detail)
{
    public bool Permanent { get; init; }

    /// <summary>The provider's own error code (Twilio "21211"; SendGrid's HTTP status), never its text (it may name the recipient).</summary>
    public string? ProviderErrorCode { get; init; }

    public static DispatchResult Sent(string provider, string providerMessageId) => new(true, provider, providerMessageId, null, null);

    public static DispatchResult Failed(string provider, string reasonCode, string detail, bool permanent) =>
        new(false, provider, null, reasonCode, detail) { Permanent = permanent };
}

/// <summary>Hands a decided message to the provider for its channel.</summary>
public interface IMessageDispatcher
{
    Task<DispatchResult> DispatchAsync(OutboundMessage message, CancellationToken ct);

    /// <summary>
    /// Sends a batch of claimed messages, concurrently within a bound; campaign emails may share SendGrid requests.
    /// One result per message, in input order; an unexpected error in one send becomes that message's failure, never
    /// the batch's (the others' answers must still be recorded).
    /// </summary>
    Task<IReadOnlyList<DispatchResult>> DispatchManyAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken ct);
}

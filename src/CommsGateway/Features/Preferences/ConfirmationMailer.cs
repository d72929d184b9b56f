using CommsGateway.Contracts;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Intents;
using CommsGateway.Providers;

namespace CommsGateway.Features.Preferences;

/// <summary>
/// The emails the patient pages send on the patient's own request (double opt-in confirmation, consent receipt):
/// through the same dispatcher as every message (SendGrid, the clinic's sender identity), to the address on record.
/// They are not marketing and carry no unsubscribe footer. Like every message the gateway sends, each is in the decision
/// log (a Sent service decision, producer <see cref="Producer"/>, its content hashed) with its dispatch claimed in the
/// same transaction and settled with the provider's answer: the patient's record and the audit show it.
/// </summary>
public sealed class ConfirmationMailer(IMessageDispatcher dispatcher, DecisionLog decisions, DispatchLog dispatches, TenantDirectory tenants,
    TimeProvider clock, ILogger<ConfirmationMailer> logger)
{
    /// <summary>Who asked for these emails, in the decision log: the patient, on the patient pages.</summary>
    public const string Producer = "patient-pages";

    public const string ConfirmationCategory = "consent_confirmation";
    public const string ReceiptCategory = "consent_receipt";

    public Task<bool> SendConfirmationAsync(string tenantId, string patientId, string pendingId, string email, ClinicBrand brand,
        ConsentWording wording, Uri link, UnsubscribeLocale locale, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(brand);
        ArgumentNullException.ThrowIfNull(wording);
        ArgumentNullException.ThrowIfNull(link);
        var fr = locale == UnsubscribeLocale.Fr;
        var subject = fr ? $"Confirmez votre inscription aux offres de {brand.Name}" : $"Confirm your subscription to {brand.Name}'s offers";
        var intro = fr
            ? "Vous avez demandé à recevoir nos actualités et offres par e-mail. Pour confirmer, ouvrez ce lien puis appuyez sur « Confirmer » :"
            : "You asked to receive our news and offers by email. To confirm, open this link and press \"Confirm\":";
        var ignore = fr
            ? "Si ce n'est pas vous, ignorez ce message : rien ne sera enregistré. Le lien expire dans 7 jours."
            : "If this was not you, ignore this message: nothing will be recorded. The link expires in 7 days.";
        var agreed = fr ? "Le texte que vous avez accepté :" : "The wording you agreed to:";
        var text = $"{intro}\n{link.AbsoluteUri}\n\n{agreed}\n« {wording.Text} » ({wording.Version})\n\n{ignore}\n";
        var html = $"""
            <html><body style="font:16px/1.5 sans-serif;color:#1a1a1a">
            <p>{E(intro)}</p>
            <p><a href="{E(link.AbsoluteUri)}">{E(fr ? "Confirmer mon inscription" : "Confirm my subscription")}</a></p>
            <p>{E(agreed)}<br><q>{E(wording.Text)}</q> ({E(wording.Version)})</p>
            <p style="font-size:14px;color:#333">{E(ignore)}</p>
            </body></html>
            """;
        return SendAsync(new(tenantId, patientId, "consent-confirmation-" + pendingId, ConfirmationCategory,
            "patient pages: the double opt-in confirmation the patient asked for"), email, subject, text, html, ct);
    }

    public Task<bool> SendReceiptAsync(string tenantId, string patientId, string receiptId, string email, string subject, string text, string html,
        CancellationToken ct) =>
        SendAsync(new(tenantId, patientId, "consent-receipt-" + receiptId, ReceiptCategory,
            "patient pages: the receipt of a change the patient made to their choices"), email, subject, text, html, ct);

    private sealed record PageEmail(string TenantId, string PatientId, string MessageId, string Category, string Why);

    private async Task<bool> SendAsync(PageEmail page, string email, string subject, string text, string html, CancellationToken ct)
    {
        var (tenantId, messageId, category) = (page.TenantId, page.MessageId, page.Category);
        var now = clock.GetUtcNow();
        var record = new DecisionRecord(Guid.CreateVersion7(now), tenantId, messageId, page.PatientId, Producer, Channel.Email, category,
            CampaignId: null, Purpose.Service, Purpose.Service, DecisionOutcome.Sent, [ReasonCodes.ServiceMessage], [page.Why],
            ContentHash.Compute(new MessageIntent { Subject = subject, Body = text, Html = html }), ConsentEventId: null, SendPolicy.Version,
            DeferredUntil: null, now);
        var appended = await decisions.AppendAsync(record, ChannelDispatcher.ProviderFor(Channel.Email), ct);
        if (!appended.Inserted)
        {
            // The same email already went (the page's request retried): its first send stands.
            return appended.Decision.Outcome == DecisionOutcome.Sent;
        }

        var tenant = await tenants.FindAsync(tenantId, ct);
        var result = await dispatcher.DispatchAsync(new OutboundMessage
        {
            DecisionId = record.DecisionId,
            IntentId = messageId,
            TenantId = tenantId,
            Channel = Channel.Email,
            Purpose = Purpose.Service,
            Category = category,
            To = email,
            Sender = tenant?.Sender ?? Core.Policy.ClinicSender.None,
            Subject = subject,
            Text = text,
            Html = html,
        }, CancellationToken.None); // claimed: once started, its answer must be recorded
        await dispatches.CompleteAsync(record.DecisionId, result, CancellationToken.None);
        if (!result.Succeeded)
        {
            logger.LogWarning("Patient page email {MessageId} for tenant {TenantId} not sent: {Reason}", messageId, tenantId, result.ReasonCode);
        }

        return result.Succeeded;
    }

    private static string E(string text) => MessageRenderer.Escape(text);
}

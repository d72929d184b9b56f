using CommsGateway.Contracts;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Admin;
using CommsGateway.Providers;

namespace CommsGateway.Features.Preferences;

/// <summary>
/// The emails the patient pages send on the patient's own request (double opt-in confirmation, consent receipt):
/// through the same dispatcher as every message (SendGrid, the clinic's sender identity), to the address on record.
/// They are not marketing and carry no unsubscribe footer; they are not intents, so they are not in the decision log.
/// </summary>
public sealed class ConfirmationMailer(IMessageDispatcher dispatcher, TenantDirectory tenants, TimeProvider clock, ILogger<ConfirmationMailer> logger)
{
    public const string ConfirmationCategory = "consent_confirmation";
    public const string ReceiptCategory = "consent_receipt";

    public Task<bool> SendConfirmationAsync(string tenantId, string pendingId, string email, ClinicBrand brand, ConsentWording wording,
        Uri link, UnsubscribeLocale locale, CancellationToken ct)
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
        return SendAsync(tenantId, "consent-confirmation-" + pendingId, ConfirmationCategory, email, subject, text, html, ct);
    }

    public Task<bool> SendReceiptAsync(string tenantId, string receiptId, string email, string subject, string text, string html, CancellationToken ct) =>
        SendAsync(tenantId, "consent-receipt-" + receiptId, ReceiptCategory, email, subject, text, html, ct);

    private async Task<bool> SendAsync(string tenantId, string messageId, string category, string email, string subject, string text, string html, CancellationToken ct)
    {
        var tenant = await tenants.FindAsync(tenantId, ct);
        var result = await dispatcher.DispatchAsync(new OutboundMessage
        {
            DecisionId = Guid.CreateVersion7(clock.GetUtcNow()),
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
        }, ct);
        if (!result.Succeeded)
        {
            logger.LogWarning("Patient page email {MessageId} for tenant {TenantId} not sent: {Reason}", messageId, tenantId, result.ReasonCode);
        }

        return result.Succeeded;
    }

    private static string E(string text) => MessageRenderer.Escape(text);
}

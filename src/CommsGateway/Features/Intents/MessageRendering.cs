using CommsGateway.Contracts;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Rendering;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.Providers.Twilio;

namespace CommsGateway.Features.Intents;

/// <summary>A decision after its last checks, with the message as it would go out and the WhatsApp template it would use.</summary>
public sealed record RenderedDecision(Decision Decision, RenderedMessage Rendered, WhatsAppTemplate? Template);

/// <summary>
/// What follows the policy for a message it would send: render its unsubscribe means, choose its WhatsApp template,
/// then Core's last checks (24-hour window, footer fit, template link). The pipeline and the campaign preview both
/// come through here, so a preview announces exactly what the gateway will decide.
/// </summary>
public sealed class MessageRendering(UnsubscribeLinks links, WhatsAppTemplates whatsAppTemplates)
{
    /// <param name="preview">Mint the link without recording its subscriber reference (campaign preview writes nothing).</param>
    public async Task<RenderedDecision> ApplyAsync(PolicyInput input, Decision decision, bool preview, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(decision);
        var content = decision.Content ?? throw new ArgumentException("only a decision to send is rendered", nameof(decision));
        var locale = input.Contact?.Locale;
        var rendered = preview
            ? await links.PreviewAsync(input.Intent, content, locale, ct)
            : await links.RenderAsync(input.Intent, content, locale, ct);
        var whatsApp = whatsAppTemplates.For(input, content.IsMarketing);
        return new RenderedDecision(
            SendPolicy.WithRendering(SendPolicy.WithWhatsAppWindow(decision, whatsApp), rendered, whatsApp.Template), rendered, whatsApp.Template);
    }
}

using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Decisions;

namespace CommsGateway.Core.Policy;

/// <summary>
/// The one place that answers "why was this sent, blocked or deferred?". Pure: the same input always gives
/// the same decision. Rules from DOMAIN.md: the producer's declared purpose is never trusted (the classifier
/// decides), marketing needs a live grant for the channel (GDPR art. 6(1)(a), 7; PECR reg. 22; CNIL), a
/// withdrawal blocks every later decision (art. 7(3)), consent lapses after N months (CNIL: 3 years).
/// Checks run from the most fundamental (is there anyone to send to?) to the most circumstantial (is now a
/// good time?), so the first blocking reason is the one a DPO would cite.
/// </summary>
public static class SendPolicy
{
    /// <summary>Recorded on every decision; bump when a rule changes meaning.</summary>
    public const string Version = "2026-11-22.1";

    public static Decision Decide(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var intent = input.Intent;
        var detected = input.Classification.Purpose;
        var details = input.Classification.Signals.Select(s => "signal: " + s).ToList();
        // Unsure content: a person's verdict (this intent's review, or its template's) stands in for the classifier's,
        // and every later decision cites it first. Without one, the intent is held (below).
        var uncertain = input.Classification.Verdict == Classification.ContentVerdict.Review;
        var review = uncertain ? input.Review : null;
        if (review is not null)
        {
            detected = review.Purpose;
            details = [.. review.Details, .. details];
        }

        IReadOnlyList<string> Cite(IReadOnlyList<string> reasons) => review is null ? reasons : [review.Reason, .. reasons];

        Decision Block(string reason, long? consentEventId = null, string? secondReason = null) =>
            new(DecisionOutcome.Blocked, Cite(secondReason is null ? [reason] : [reason, secondReason]), detected)
            {
                ConsentEventId = consentEventId,
                Details = details,
            };

        if (!input.TenantKnown)
        {
            // A producer naming a clinic we do not serve is a configuration error, not a patient matter.
            return new Decision(DecisionOutcome.Rejected, [ReasonCodes.UnknownTenant], detected)
            {
                Details = [$"tenantId: no clinic '{intent.TenantId}' is configured on this gateway"],
            };
        }

        if (!input.Sender.CanSend(intent.Channel))
        {
            // Never another clinic's name or number: without the clinic's own identity on this channel nothing goes out.
            return Block(ReasonCodes.NoSenderIdentity) with
            {
                Details = [$"sender: clinic '{intent.TenantId}' has no sender identity for {ChannelName(intent.Channel)}", .. details],
            };
        }

        if (input.CampaignCancelled)
        {
            return Block(ReasonCodes.CampaignCancelled);
        }

        if (intent.ExpiresAt is { } expiresAt && expiresAt <= input.Now)
        {
            return Block(ReasonCodes.Expired);
        }

        var recipient = input.Contact?.AddressFor(intent.Channel);
        if (recipient is null)
        {
            return Block(ReasonCodes.NoContactPoint);
        }

        if (!string.IsNullOrWhiteSpace(intent.To) && !RecipientMatch.Same(intent.Channel, intent.To, recipient))
        {
            return Block(ReasonCodes.RecipientMismatch);
        }

        // A patient may refuse a channel even for service messages ("no WhatsApp"); that refusal covers marketing too.
        var channelRefusal = input.Consent.Find(ConsentPurpose.Service, intent.Channel);
        if (channelRefusal is { Granted: false })
        {
            return Block(ReasonCodes.ChannelRefused, channelRefusal.EventId);
        }

        if (input.AddressSuppressed)
        {
            return Block(ReasonCodes.Suppressed);
        }

        if (uncertain && review is null)
        {
            // Neither sent nor blocked: a person at the clinic decides (before any wait, so the review has the time).
            return new Decision(DecisionOutcome.Held, [ReasonCodes.ClassificationUncertain], detected)
            {
                Details = [.. details, FormattableString.Invariant($"probability: {input.Classification.Probability:0.###}"),
                    FormattableString.Invariant($"score: {input.Classification.Score:0.###}")],
            };
        }

        if (intent.NotBefore is { } notBefore && notBefore > input.Now)
        {
            return new Decision(DecisionOutcome.Deferred, Cite([ReasonCodes.NotYetDue]), detected)
            {
                DeferredUntil = notBefore,
                Details = details,
            };
        }

        foreach (var pictured in intent.Media?.Where(m => !string.IsNullOrWhiteSpace(m.PicturedPatientId)) ?? [])
        {
            var photoConsent = input.PicturedPatientsConsent.GetValueOrDefault(pictured.PicturedPatientId!)
                ?.FindPhoto(PhotoPlacement.Newsletter);
            if (photoConsent is not { Granted: true })
            {
                return Block(ReasonCodes.PhotoConsentMissing, photoConsent?.EventId);
            }
        }

        var warnings = Warnings(input, detected);
        if (detected != Purpose.Marketing)
        {
            return Send(DecisionOutcome.Sent, [ReasonCodes.ServiceMessage, .. warnings], null,
                FullContent(intent, isMarketing: false), recipient);
        }

        var consent = MarketingConsent(input);
        if (consent.Reason is not null)
        {
            // No live marketing grant. A service message whose only marketing sits in blocks the producer
            // marked as such can still go, with those blocks removed; marketing anywhere else blocks it.
            var marketingOnlyInBlocks = intent.Blocks?.Any(b => b.Kind == Purpose.Marketing) == true
                                        && !input.Classification.MarketingOutsideMarkedBlocks;
            var remainder = WithoutMarketingBlocks(intent);
            if (marketingOnlyInBlocks && remainder.Body.Trim().Length > 0)
            {
                // What goes out is service content, as declared: only the health warning still applies.
                return Send(DecisionOutcome.SentWithMarketingRemoved,
                    [ReasonCodes.MarketingBlocksRemoved, consent.Reason, .. Warnings(input, Purpose.Service)], consent.EventId, remainder, recipient);
            }

            return intent.DeclaredPurpose == Purpose.Marketing
                ? Block(consent.Reason, consent.EventId)
                : Block(ReasonCodes.MarketingInServiceMessage, consent.EventId, consent.Reason);
        }

        if (input.MarketingSentLast7Days >= input.Settings.MarketingFrequencyCapPer7Days)
        {
            // Blocked, not deferred: a promotion held for days goes stale and piles up behind the next
            // campaign; marketing staff see the count in the campaign report and can re-queue.
            return Block(ReasonCodes.FrequencyCap, consent.EventId);
        }

        if (QuietHoursApply(intent.Channel, input.Settings)
            && MarketingWindow.NextOpening(input.Now, input.Contact!.TimeZone, input.Settings) is { } opening)
        {
            return new Decision(DecisionOutcome.Deferred, Cite([ReasonCodes.QuietHours]), detected)
            {
                DeferredUntil = opening,
                ConsentEventId = consent.EventId,
                Details = details,
            };
        }

        return Send(DecisionOutcome.Sent, [ReasonCodes.MarketingConsentGranted, .. warnings], consent.EventId,
            FullContent(intent, isMarketing: true), recipient);

        // The flag names what raised it (category and lexicon term, e.g. health-condition: "diabete"), never patient text.
        Decision Send(DecisionOutcome outcome, IReadOnlyList<string> reasons, long? consentEventId, SendableContent content, string to) =>
            new(outcome, Cite(reasons), detected)
            {
                ConsentEventId = consentEventId,
                Content = content,
                Recipient = to,
                Details = reasons.Contains(ReasonCodes.HealthDetailsFlagged)
                    ? [.. details, .. input.Classification.HealthDetails.Select(h => $"{ReasonCodes.HealthDetailsFlagged}: {h}")]
                    : details,
            };
    }

    /// <summary>
    /// The decision's last three checks, in order, once the message is rendered (the only step that needs I/O: the
    /// unsubscribe link): the WhatsApp 24-hour window (<see cref="WithWhatsAppWindow"/>, with the delivery
    /// <see cref="WhatsAppWindow.For"/> chooses), the footer fits its channel, and a WhatsApp template carries the link
    /// (<see cref="WithRendering(Decision, Rendering.RenderedMessage, WhatsAppTemplate?)"/>). A decision not to send
    /// is final as it is. The template is the one the message goes through (null: free-form, or not WhatsApp).
    /// </summary>
    public static FinishedDecision Finish(PolicyInput input, Decision decision, Rendering.RenderedMessage rendered)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(rendered);
        if (!decision.ShouldSend)
        {
            return new FinishedDecision(decision, null);
        }

        var whatsApp = WhatsAppWindow.For(input, decision.Content!.IsMarketing);
        return new FinishedDecision(WithRendering(WithWhatsAppWindow(decision, whatsApp), rendered, whatsApp.Template), whatsApp.Template);
    }

    /// <summary>
    /// The last check, once the unsubscribe means is rendered: marketing whose footer would push the message past
    /// its channel's limit is blocked rather than sent without a way out, or silently truncated.
    /// </summary>
    public static Decision WithRendering(Decision decision, Rendering.RenderedMessage rendered)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(rendered);
        return decision.ShouldSend && decision.Content!.IsMarketing && !rendered.FooterFits
            ? decision with { Outcome = DecisionOutcome.Blocked, Reasons = [ReasonCodes.FooterExceedsLimit], Content = null }
            : decision;
    }

    /// <summary>
    /// <see cref="WithRendering(Decision, Rendering.RenderedMessage)"/>, then the template check. A WhatsApp message sent
    /// through an approved template (Twilio Content API) shows the template, not the rendered footer: marketing may go
    /// that way only when the template names the content variable that carries the unsubscribe link (DOMAIN.md "Every
    /// marketing message": WhatsApp included). Otherwise it is blocked before anything reaches the provider.
    /// </summary>
    /// <param name="template">The template the message would be sent through (the intent's, else the clinic's
    /// default marketing template), null for a free-form body and on every channel but WhatsApp.</param>
    public static Decision WithRendering(Decision decision, Rendering.RenderedMessage rendered, WhatsAppTemplate? template)
    {
        var checkedFooter = WithRendering(decision, rendered);
        if (!checkedFooter.ShouldSend || !checkedFooter.Content!.IsMarketing || template is not { ContentSid.Length: > 0 }
            || (!string.IsNullOrWhiteSpace(template.UnsubscribeVariable) && rendered.UnsubscribeUrl is not null))
        {
            return checkedFooter;
        }

        return checkedFooter with
        {
            Outcome = DecisionOutcome.Blocked,
            Reasons = [ReasonCodes.TemplateLacksUnsubscribe],
            Content = null,
            Details = [.. checkedFooter.Details, $"template {template.ContentSid}: no content variable for the unsubscribe link"],
        };
    }

    /// <summary>
    /// A WhatsApp message outside the 24-hour window with no approved template to go through is blocked before
    /// anything reaches Twilio (which would refuse it with 63016). See <see cref="WhatsAppWindow.Choose"/>.
    /// </summary>
    public static Decision WithWhatsAppWindow(Decision decision, WhatsAppDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(delivery);
        return decision.ShouldSend && delivery.WindowClosed
            ? decision with
            {
                Outcome = DecisionOutcome.Blocked,
                Reasons = [ReasonCodes.WhatsAppWindowClosed],
                Content = null,
                Details = [.. decision.Details, "no inbound WhatsApp message in the last 24 hours and no approved template"],
            }
            : decision;
    }

    private static (string? Reason, long? EventId) MarketingConsent(PolicyInput input)
    {
        var state = input.Consent.Find(ConsentPurpose.Marketing, input.Intent.Channel);
        if (state is not { Granted: true })
        {
            return (ReasonCodes.NoMarketingConsent, state?.EventId);
        }

        return ConsentLapse.IsLapsed(state, input.Contact?.LastInteractionAt, input.Settings.ConsentLapseMonths, input.Now)
            ? (ReasonCodes.ConsentLapsed, state.EventId)
            : (null, state.EventId);
    }

    private static List<string> Warnings(PolicyInput input, Purpose detected)
    {
        var warnings = new List<string>();
        if (input.Classification.HealthDetails.Count > 0 && input.Intent.Channel is Channel.Sms or Channel.WhatsApp)
        {
            warnings.Add(ReasonCodes.HealthDetailsFlagged);
        }

        if (input.Intent.DeclaredPurpose != Purpose.Unknown && input.Intent.DeclaredPurpose != detected)
        {
            warnings.Add(ReasonCodes.DeclaredPurposeMismatch);
        }

        return warnings;
    }

    private static bool QuietHoursApply(Channel channel, TenantPolicySettings settings) =>
        channel is Channel.Sms or Channel.WhatsApp || settings.QuietHoursForEmail;

    private static SendableContent FullContent(MessageIntent intent, bool isMarketing) =>
        new(intent.Subject, Join(intent.Body, intent.Blocks?.Select(b => b.Text)), JoinHtml(intent.Html, intent.Blocks?.Select(b => b.Html)), isMarketing);

    private static SendableContent WithoutMarketingBlocks(MessageIntent intent)
    {
        var kept = intent.Blocks?.Where(b => b.Kind != Purpose.Marketing).ToList() ?? [];
        return new SendableContent(intent.Subject, Join(intent.Body, kept.Select(b => b.Text)), JoinHtml(intent.Html, kept.Select(b => b.Html)), false);
    }

    private static string Join(string body, IEnumerable<string>? blocks) =>
        string.Join("\n\n", new[] { body }.Concat(blocks ?? []).Where(t => !string.IsNullOrWhiteSpace(t)));

    private static string? JoinHtml(string? html, IEnumerable<string?>? blocks)
    {
        var parts = new[] { html }.Concat(blocks ?? []).Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
        return parts.Count == 0 ? null : string.Concat(parts);
    }

    private static string ChannelName(Channel channel) => channel switch
    {
        Channel.Email => "email",
        Channel.Sms => "sms",
        Channel.WhatsApp => "whatsapp",
        _ => "this channel",
    };
}

/// <summary>A decision after its last checks, and the WhatsApp template it goes through (null: free-form, or another channel).</summary>
public sealed record FinishedDecision(Decision Decision, WhatsAppTemplate? Template);

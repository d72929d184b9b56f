using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Rendering;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Intents;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Unsubscribe;

namespace CommsGateway.Features.Campaigns;

public sealed record QueueResult(string CampaignId, string Status, int AudienceSize, int Published, IReadOnlyList<string> UnknownPatientIds, IReadOnlyList<string> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>Per channel: how many would be Sent / Blocked / Deferred, each with its own first reason codes.</summary>
public sealed record ChannelPreview(string Channel, int Recipients, IReadOnlyDictionary<string, OutcomePreview> Outcomes);

/// <summary>How many recipients get one outcome, and why (first reason code), so a reason is never read under another outcome.</summary>
public sealed record OutcomePreview(int Count, IReadOnlyDictionary<string, int> Reasons);

public sealed record SampleMessage(string PatientId, string Channel, string Outcome, string? Subject, string Body);

public sealed record CampaignPreview(
    int AudienceSize,
    IReadOnlyList<string> UnknownPatientIds,
    IReadOnlyList<ChannelPreview> Channels,
    IReadOnlyList<SampleMessage> Samples,
    IReadOnlyList<string> Problems)
{
    /// <summary>
    /// The campaign's messages the classifier cannot call service or marketing and no reviewer has settled (per template):
    /// the gateway would hold each one, so queueing is refused until the template is reviewed.
    /// </summary>
    public IReadOnlyList<string> ReviewNeeded { get; init; } = [];
}

/// <summary>What reviewing a campaign's templates did: how many distinct templates got the verdict.</summary>
public sealed record CampaignReviewResult(bool Found, int Templates, IReadOnlyList<string> Problems);

/// <summary>
/// One of a campaign's templates the classifier is unsure about, as a reviewer reads it: the first message's text with
/// what varies per patient masked (<see cref="TemplateKey.MaskValues"/>: no name, date, address) and cut around the
/// sentence that made it unsure, the classifier's answer on it, and the verdict remembered for it, if any.
/// </summary>
public sealed record TemplateToReview(string TemplateKey, string Locale, string Channel, int Messages, ContentVerdict Verdict, double Probability,
    IReadOnlyList<string> Signals, IReadOnlyList<string> Reasons, string? Subject, Review.MarkedText Text, Review.TemplateVerdictView? Reviewed);

/// <summary>A campaign's unsure templates (none when the classifier is sure of every message), or why they cannot be listed.</summary>
public sealed record CampaignTemplates(Campaign Campaign, IReadOnlyList<TemplateToReview> Templates, IReadOnlyList<string> Problems)
{
    public bool AwaitingReview => Templates.Any(t => t.Reviewed is null);
}

/// <summary>
/// Create, preview, queue and cancel. Preview decides through the gateway's own IntentDecider (context query, SendPolicy,
/// rendering and Core's last checks: WhatsApp window, footer fit, template link): no copy of the rules. Queueing never decides anything: the gateway decides
/// every published intent again, so a campaign cannot bypass a check.
/// </summary>
public sealed class CampaignService(
    CampaignStore store,
    CampaignMessages messages,
    CampaignPublisher publisher,
    IntentDecider decider,
    ContentClassifier classifier,
    UnsubscribeLinks links,
    Review.ReviewQueue reviewQueue,
    TimeProvider clock,
    ILogger<CampaignService> logger)
{
    public const int SampleCount = 3;

    public async Task<CampaignPreview> PreviewAsync(string tenantId, CampaignDefinition definition, string? campaignId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var errors = definition.Validate();
        if (errors.Count > 0)
        {
            return new CampaignPreview(0, [], [], [], errors);
        }

        var clinic = await store.ClinicNameAsync(tenantId, ct) ?? tenantId;
        // Unsaved campaigns preview under a placeholder id: the ids themselves are not shown.
        var prepared = await messages.PrepareAsync(tenantId, campaignId ?? CampaignStore.PreviewId, clinic, definition, ct);
        if (prepared.Problems.Count > 0)
        {
            return new CampaignPreview(prepared.AudienceSize, prepared.UnknownPatientIds, [], [], prepared.Problems);
        }

        var now = clock.GetUtcNow();
        // The gateway's own decider, in chunks of the gateway's largest batch: one context read per chunk.
        var decided = new List<(CampaignMessage Message, Decision Decision, RenderedMessage? Rendered)>(prepared.Messages.Count);
        foreach (var chunk in prepared.Messages.Chunk(1_000))
        {
            var decisions = await decider.DecideAsync([.. chunk.Select(m => m.Intent)], now, ct);
            decided.AddRange(chunk.Select((m, k) => (m, decisions[k].Decision, decisions[k].Rendered)));
        }

        var channels = decided.GroupBy(d => d.Message.Intent.Channel).OrderBy(g => g.Key).Select(g => new ChannelPreview(
                Core.Consent.ConsentNames.Name(g.Key),
                g.Count(),
                g.GroupBy(d => d.Decision.Outcome.ToString()).ToDictionary(o => o.Key, o => new OutcomePreview(o.Count(),
                    o.GroupBy(d => d.Decision.Reasons.FirstOrDefault() ?? "-").ToDictionary(r => r.Key, r => r.Count(), StringComparer.Ordinal)),
                    StringComparer.Ordinal)))
            .ToList();

        var samples = new List<SampleMessage>();
        foreach (var (message, decision, sent) in decided.OrderBy(d => d.Decision.ShouldSend ? 0 : 1).Take(SampleCount))
        {
            var intent = message.Intent;
            // A message that would not go out is still shown as it would read, footer included.
            var rendered = sent ?? await links.PreviewAsync(intent, new SendableContent(intent.Subject, message.Text, null, IsMarketing: true), intent.Locale, ct);
            samples.Add(new SampleMessage(intent.PatientId, Core.Consent.ConsentNames.Name(intent.Channel), decision.Outcome.ToString(),
                rendered.Subject, rendered.Text));
        }

        return new CampaignPreview(prepared.AudienceSize, prepared.UnknownPatientIds, channels, samples, [])
        {
            ReviewNeeded = await UnreviewedAsync(tenantId, campaignId, prepared.Messages, ct),
        };
    }

    /// <summary>
    /// One line per distinct template (masked text, hashed: what the gateway looks up) among the messages the classifier
    /// is unsure about that has no live reviewer's verdict.
    /// </summary>
    private async Task<IReadOnlyList<string>> UnreviewedAsync(string tenantId, string? campaignId, IReadOnlyList<CampaignMessage> prepared, CancellationToken ct)
    {
        var problems = new List<string>();
        foreach (var template in UncertainTemplates(prepared))
        {
            if (await reviewQueue.FindTemplateAsync(tenantId, template.Key, ct) is null)
            {
                var first = template.Messages[0];
                problems.Add(FormattableString.Invariant(
                    $"the {first.Intent.Locale} {Core.Consent.ConsentNames.Name(first.Intent.Channel)} template needs a review ({template.Messages.Count} message(s); ")
                    + $"the classifier cannot tell service from marketing): commsgw review approve-campaign --tenant {tenantId} {campaignId ?? "<campaignId>"} --as marketing|service --actor <who>");
            }
        }

        return problems;
    }

    /// <summary>
    /// The campaign's wording as the classifier reads it without the marketing marking (the gateway applies the marketing
    /// rules to every campaign message whatever its wording): unsure wording is reviewed before anything is queued.
    /// Each template keeps the classification of its first message.
    /// </summary>
    private List<UncertainTemplate> UncertainTemplates(IReadOnlyList<CampaignMessage> prepared)
    {
        var groups = new Dictionary<string, UncertainTemplate>(StringComparer.Ordinal);
        foreach (var message in prepared)
        {
            var classification = classifier.Classify(message.Intent.Subject, message.Text, null, null, message.Intent.Channel, message.Intent.Locale);
            if (classification.Verdict != ContentVerdict.Review)
            {
                continue;
            }

            var key = TemplateKey.Compute(message.Intent.Subject, message.Text);
            var hex = Convert.ToHexString(key);
            if (!groups.TryGetValue(hex, out var group))
            {
                groups[hex] = group = new UncertainTemplate(key, [], classification);
            }

            group.Messages.Add(message);
        }

        return [.. groups.Values];
    }

    private sealed record UncertainTemplate(byte[] Key, List<CampaignMessage> Messages, Classification First);

    /// <summary>
    /// The campaign's unsure templates for a reviewer (the console's review queue): masked text, the classifier's answer,
    /// the verdict remembered for each. Null when the clinic has no such campaign.
    /// </summary>
    public async Task<CampaignTemplates?> TemplatesToReviewAsync(string tenantId, string campaignId, CancellationToken ct)
    {
        var campaign = await store.FindAsync(tenantId, campaignId, ct);
        if (campaign is null)
        {
            return null;
        }

        var prepared = await messages.PrepareAsync(tenantId, campaignId, campaign.ClinicName, campaign.Definition, ct);
        if (prepared.Problems.Count > 0)
        {
            return new CampaignTemplates(campaign, [], prepared.Problems);
        }

        var templates = new List<TemplateToReview>();
        foreach (var (key, group, first) in UncertainTemplates(prepared.Messages))
        {
            var intent = group[0].Intent;
            templates.Add(new TemplateToReview(Convert.ToHexStringLower(key), intent.Locale ?? "", Core.Consent.ConsentNames.Name(intent.Channel), group.Count,
                first.Verdict, first.Probability, first.Signals, first.Reasons,
                intent.Subject is { Length: > 0 } subject ? TemplateKey.MaskValues(subject) : null,
                Review.MarkedText.Of(group[0].Text, first.Sentence, TemplateKey.MaskValues),
                await reviewQueue.FindTemplateAsync(tenantId, key, ct)));
        }

        return new CampaignTemplates(campaign, templates, []);
    }

    /// <summary>The clinic's campaigns not yet queued (newest first) with a template still waiting for a reviewer's verdict.</summary>
    public async Task<IReadOnlyList<CampaignTemplates>> AwaitingReviewAsync(string tenantId, int limit, CancellationToken ct)
    {
        var waiting = new List<CampaignTemplates>();
        foreach (var campaignId in await store.DraftIdsAsync(tenantId, limit, ct))
        {
            if (await TemplatesToReviewAsync(tenantId, campaignId, ct) is { AwaitingReview: true } templates)
            {
                waiting.Add(templates);
            }
        }

        return waiting;
    }

    /// <summary>
    /// A reviewer's verdict on a campaign's templates (every distinct template among its unsure messages), remembered
    /// like a held intent's: the gateway then decides each message at once with it (TemplateVerdict).
    /// </summary>
    public async Task<CampaignReviewResult> ReviewTemplatesAsync(string tenantId, string campaignId, string verdict, Actor actor, string? note, CancellationToken ct)
    {
        var campaign = await store.FindAsync(tenantId, campaignId, ct);
        if (campaign is null)
        {
            return new CampaignReviewResult(false, 0, []);
        }

        var prepared = await messages.PrepareAsync(tenantId, campaignId, campaign.ClinicName, campaign.Definition, ct);
        if (prepared.Problems.Count > 0)
        {
            return new CampaignReviewResult(true, 0, prepared.Problems);
        }

        var templates = UncertainTemplates(prepared.Messages);
        foreach (var (key, _, _) in templates)
        {
            await reviewQueue.RememberTemplateAsync(tenantId, key, verdict, actor, campaignId, note, ct);
        }

        return new CampaignReviewResult(true, templates.Count, []);
    }

    /// <summary>
    /// Renders every message first (a placeholder problem queues nothing), then publishes with confirms. Safe to
    /// run again after an interruption: the intent ids are deterministic and the gateway decides each id once.
    /// </summary>
    public async Task<QueueResult> QueueAsync(string tenantId, string campaignId, Action<int, int>? progress, CancellationToken ct)
    {
        var campaign = await store.FindAsync(tenantId, campaignId, ct)
            ?? throw new KeyNotFoundException($"No campaign {campaignId} for this clinic");
        if (campaign.Status == "cancelled")
        {
            return new QueueResult(campaignId, campaign.Status, 0, 0, [], ["the campaign is cancelled: it cannot be queued again"]);
        }

        var prepared = await messages.PrepareAsync(tenantId, campaignId, campaign.ClinicName, campaign.Definition, ct);
        if (prepared.Problems.Count > 0)
        {
            return new QueueResult(campaignId, campaign.Status, prepared.AudienceSize, 0, prepared.UnknownPatientIds, prepared.Problems);
        }

        // Unsure content the gateway would hold, message by message: a person reviews the template first.
        var unreviewed = await UnreviewedAsync(tenantId, campaignId, prepared.Messages, ct);
        if (unreviewed.Count > 0)
        {
            return new QueueResult(campaignId, campaign.Status, prepared.AudienceSize, 0, prepared.UnknownPatientIds, unreviewed);
        }

        // Each recipient's channel is recorded before anything is published; a concurrent queue that recorded first
        // wins, and then this one prepares again on the recorded channels.
        var kept = await store.KeepChannelsAsync(campaignId, [.. prepared.Messages.Select(m => m.Intent)], ct);
        if (prepared.Messages.Any(m => kept[m.Intent.PatientId] != m.Intent.Channel))
        {
            prepared = await messages.PrepareAsync(tenantId, campaignId, campaign.ClinicName, campaign.Definition, ct);
            if (prepared.Problems.Count > 0)
            {
                return new QueueResult(campaignId, campaign.Status, prepared.AudienceSize, 0, prepared.UnknownPatientIds, prepared.Problems);
            }

            await store.KeepChannelsAsync(campaignId, [.. prepared.Messages.Select(m => m.Intent)], ct);
        }

        var total = prepared.Messages.Count;
        await store.SetStatusAsync(tenantId, campaignId, "queuing", total, null, ct);
        logger.LogInformation("Queuing campaign {CampaignId} of tenant {TenantId}: {Count} intents", campaignId, tenantId, total);
        progress?.Invoke(0, total);
        var published = await publisher.PublishAsync([.. prepared.Messages.Select(m => m.Intent)], done => progress?.Invoke(done, total), ct);
        var queued = await store.SetStatusAsync(tenantId, campaignId, "queued", null, published, ct);
        logger.LogInformation("Queued campaign {CampaignId}: {Published} intents confirmed", campaignId, published);
        return new QueueResult(campaignId, queued ? "queued" : "cancelled", prepared.AudienceSize, published, prepared.UnknownPatientIds, []);
    }

    public Task<string> CreateAsync(string tenantId, CampaignDefinition definition, Actor actor, CancellationToken ct) =>
        store.CreateAsync(tenantId, definition, actor, ct);

    public Task<bool> CancelAsync(string tenantId, string campaignId, Actor actor, CancellationToken ct) =>
        store.CancelAsync(tenantId, campaignId, actor, ct);
}

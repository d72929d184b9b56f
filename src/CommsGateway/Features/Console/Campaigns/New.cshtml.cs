using CommsGateway.Features.Campaigns;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Campaigns;

/// <summary>
/// Compose a campaign (FR/EN templates, channels, audience by marketing consent on a channel) and preview it through
/// <see cref="CampaignService.PreviewAsync"/>: outcomes and reasons per channel, and a rendered message per channel with
/// its footer. Aggregates and the clinic's own text only: no patient id or contact detail is shown.
/// </summary>
[Authorize(Policy = ConsolePolicies.CampaignCompose)]
public sealed class NewModel(CampaignService campaigns) : ConsolePageModel
{
    public static readonly IReadOnlyList<string> ChannelNames = ["email", "sms", "whatsapp"];

    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? TemplateFr { get; set; }
    [BindProperty] public string? TemplateEn { get; set; }
    [BindProperty] public string? SubjectFr { get; set; }
    [BindProperty] public string? SubjectEn { get; set; }
    [BindProperty] public string? Channel { get; set; } = "email";
    [BindProperty] public string? AudienceChannel { get; set; } = "email";

    public CampaignPreview? Preview { get; private set; }

    /// <summary>Ticked by the user on the preview: queueing sends to real patients, so it is confirmed explicitly.</summary>
    [BindProperty] public bool Confirm { get; set; }

    public IReadOnlyList<string> QueueProblems { get; private set; } = [];

    public void OnGet() => Title = T("New campaign", "Nouvelle campagne");

    public async Task<IActionResult> OnPostPreviewAsync(CancellationToken ct)
    {
        OnGet();
        Preview = await campaigns.PreviewAsync(TenantId, Definition(), null, ct);
        if (Preview.Problems.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        return Page();
    }

    /// <summary>
    /// Creates the campaign and queues it (<see cref="CampaignService.QueueAsync"/>, which refuses a template still to be
    /// reviewed), after the preview and an explicit confirmation; then its report.
    /// </summary>
    public async Task<IActionResult> OnPostQueueAsync(CancellationToken ct)
    {
        OnGet();
        var definition = Definition();
        Preview = await campaigns.PreviewAsync(TenantId, definition, null, ct);
        if (Preview.Problems.Count > 0 || Preview.ReviewNeeded.Count > 0 || !Confirm)
        {
            QueueProblems = !Confirm && Preview.Problems.Count == 0 && Preview.ReviewNeeded.Count == 0
                ? [T("Tick the confirmation to queue the campaign.", "Cochez la confirmation pour lancer la campagne.")]
                : [.. Preview.Problems, .. Preview.ReviewNeeded];
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var id = await campaigns.CreateAsync(TenantId, definition, Actor, ct);
        return await QueueModel.QueueAsync(this, campaigns, id, problems => QueueProblems = problems, ct);
    }

    /// <summary>
    /// A campaign whose wording the classifier cannot call is saved (not queued) for a reviewer: it then waits in the
    /// review queue, and is queued from its page once its templates are settled.
    /// </summary>
    public async Task<IActionResult> OnPostSaveForReviewAsync(CancellationToken ct)
    {
        OnGet();
        var definition = Definition();
        Preview = await campaigns.PreviewAsync(TenantId, definition, null, ct);
        if (Preview.Problems.Count > 0 || Preview.ReviewNeeded.Count == 0)
        {
            QueueProblems = Preview.Problems.Count > 0
                ? Preview.Problems
                : [T("Nothing needs a review: queue the campaign from the preview.", "Rien à relire : lancez la campagne depuis l'aperçu.")];
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var id = Uri.EscapeDataString(await campaigns.CreateAsync(TenantId, definition, Actor, ct));
        return Redirect(May(ConsolePolicies.Review) ? "/console/review/campaigns/" + id : "/console/campaigns/" + id);
    }

    /// <summary>The form as the CLI's campaign file; the service validates it (no rule here).</summary>
    private CampaignDefinition Definition() => new()
    {
        Name = Name?.Trim(),
        Templates = Pairs(TemplateFr, TemplateEn),
        Subjects = Pairs(SubjectFr, SubjectEn),
        Channels = string.IsNullOrWhiteSpace(Channel) ? [] : [Channel.Trim()],
        AudienceChannel = AudienceChannel?.Trim(),
    };

    private static Dictionary<string, string>? Pairs(string? fr, string? en)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!string.IsNullOrWhiteSpace(fr))
        {
            pairs["fr"] = fr;
        }

        if (!string.IsNullOrWhiteSpace(en))
        {
            pairs["en"] = en;
        }

        return pairs.Count == 0 ? null : pairs;
    }
}

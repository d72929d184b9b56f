using CommsGateway.Features.Campaigns;
using CommsGateway.Features.Review;
using Microsoft.AspNetCore.Authorization;

namespace CommsGateway.Features.Console.Review;

/// <summary>
/// The clinic's held messages (no content here: the figures a reviewer triages by), the campaigns whose templates wait
/// for a verdict, and the remembered template verdicts.
/// </summary>
[Authorize(Policy = ConsolePolicies.Review)]
public sealed class IndexModel(ReviewQueue queue, CampaignService campaigns) : ConsolePageModel
{
    /// <summary>How many of the newest campaigns not yet queued are checked for templates to review.</summary>
    public const int CampaignsChecked = 20;

    public IReadOnlyList<CampaignTemplates> Campaigns { get; private set; } = [];

    public IReadOnlyList<HeldSummary> Held { get; private set; } = [];

    public IReadOnlyList<TemplateVerdictView> Templates { get; private set; } = [];

    public bool All { get; private set; }

    public string? Notice { get; private set; }

    public async Task OnGetAsync(bool all, string? settled, CancellationToken ct)
    {
        Title = T("Review queue", "File de relecture");
        All = all;
        Notice = settled;
        Held = await queue.ListAsync(TenantId, all, ct);
        Campaigns = await campaigns.AwaitingReviewAsync(TenantId, CampaignsChecked, ct);
        Templates = await queue.TemplatesAsync(TenantId, ct);
    }

    public async Task<Microsoft.AspNetCore.Mvc.IActionResult> OnPostRevokeAsync(long templateId, CancellationToken ct)
    {
        await queue.RevokeTemplateAsync(TenantId, templateId, Actor, ct);
        return RedirectToPage(new { settled = "revoked" });
    }
}

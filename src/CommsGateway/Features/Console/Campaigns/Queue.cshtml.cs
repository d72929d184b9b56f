using CommsGateway.Features.Campaigns;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Campaigns;

/// <summary>
/// Queues a campaign saved earlier (one whose templates went to the review queue), after an explicit confirmation,
/// through <see cref="CampaignService.QueueAsync"/>, which itself refuses a template still to be reviewed.
/// </summary>
[Authorize(Policy = ConsolePolicies.CampaignCompose)]
public sealed class QueueModel(CampaignService campaigns) : ConsolePageModel
{
    public CampaignTemplates? Templates { get; private set; }

    public IReadOnlyList<string> Problems { get; private set; } = [];

    /// <summary>Ticked by the user: queueing sends to real patients.</summary>
    [BindProperty] public bool Confirm { get; set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        Title = T("Queue the campaign", "Lancer la campagne");
        Templates = await campaigns.TemplatesToReviewAsync(TenantId, id, ct);
        return Templates is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(string id, CancellationToken ct)
    {
        if (await OnGetAsync(id, ct) is NotFoundResult notFound)
        {
            return notFound;
        }

        if (!Confirm)
        {
            Problems = [T("Tick the confirmation to queue the campaign.", "Cochez la confirmation pour lancer la campagne.")];
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        return await QueueAsync(this, campaigns, id, problems => Problems = problems, ct);
    }

    /// <summary>
    /// Queues a stored campaign through the service and opens its report; the service's refusal (a template still to be
    /// reviewed, a cancelled campaign ...) is shown on the calling page with 409.
    /// </summary>
    internal static async Task<IActionResult> QueueAsync(ConsolePageModel page, CampaignService campaigns, string id,
        Action<IReadOnlyList<string>> refused, CancellationToken ct)
    {
        var queued = await campaigns.QueueAsync(page.TenantId, id, null, ct);
        if (!queued.Ok)
        {
            refused(queued.Problems);
            page.Response.StatusCode = StatusCodes.Status409Conflict;
            return new Microsoft.AspNetCore.Mvc.RazorPages.PageResult();
        }

        return new RedirectResult("/console/campaigns/" + Uri.EscapeDataString(id));
    }
}

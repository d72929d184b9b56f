using CommsGateway.Features.Campaigns;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Review;

/// <summary>
/// A campaign's templates the classifier is unsure about, as <see cref="CampaignService.TemplatesToReviewAsync"/> gives
/// them (text masked: no patient's name, date or address; the sentence that made it unsure highlighted), and the verdict
/// for all of them through <see cref="CampaignService.ReviewTemplatesAsync"/>, the path of `commsgw review approve-campaign`.
/// No patient data is shown, so nothing is written to the access log.
/// </summary>
[Authorize(Policy = ConsolePolicies.Review)]
public sealed class CampaignTemplatesModel(CampaignService campaigns) : ConsolePageModel
{
    public CampaignTemplates? Templates { get; private set; }

    public CampaignReviewResult? Result { get; private set; }

    public string? Verdict { get; private set; }

    [BindProperty] public string? Note { get; set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        Title = T("Campaign templates to review", "Modèles de campagne à relire");
        Templates = await campaigns.TemplatesToReviewAsync(TenantId, id, ct);
        return Templates is null ? NotFound() : Page();
    }

    public Task<IActionResult> OnPostServiceAsync(string id, CancellationToken ct) => ReviewAsync(id, Features.Review.ReviewQueue.Service, ct);

    public Task<IActionResult> OnPostMarketingAsync(string id, CancellationToken ct) => ReviewAsync(id, Features.Review.ReviewQueue.Marketing, ct);

    private async Task<IActionResult> ReviewAsync(string id, string verdict, CancellationToken ct)
    {
        Result = await campaigns.ReviewTemplatesAsync(TenantId, id, verdict, Actor, string.IsNullOrWhiteSpace(Note) ? null : Note.Trim(), ct);
        if (!Result.Found)
        {
            return NotFound();
        }

        Verdict = verdict;
        if (Result.Problems.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        return await OnGetAsync(id, ct);
    }
}

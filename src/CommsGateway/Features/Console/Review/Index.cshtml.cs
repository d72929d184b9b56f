using CommsGateway.Features.Review;
using Microsoft.AspNetCore.Authorization;

namespace CommsGateway.Features.Console.Review;

/// <summary>The clinic's held messages (no content here: the figures a reviewer triages by) and its remembered template verdicts.</summary>
[Authorize(Policy = ConsolePolicies.Review)]
public sealed class IndexModel(ReviewQueue queue) : ConsolePageModel
{
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
        Templates = await queue.TemplatesAsync(TenantId, ct);
    }

    public async Task<Microsoft.AspNetCore.Mvc.IActionResult> OnPostRevokeAsync(long templateId, CancellationToken ct)
    {
        await queue.RevokeTemplateAsync(TenantId, templateId, Actor, ct);
        return RedirectToPage(new { settled = "revoked" });
    }
}

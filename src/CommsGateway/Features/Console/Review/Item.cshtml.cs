using CommsGateway.Core.Classification;
using CommsGateway.Features.Console.Staff;
using CommsGateway.Features.Review;
using Dapper;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace CommsGateway.Features.Console.Review;

/// <summary>
/// One held message with the sentence that made the classifier unsure highlighted; approve as service or mark as
/// marketing through <see cref="ReviewQueue.SettleAsync"/> (the CLI's and the API's path). Opening it is logged: the
/// message names the patient. Marketing reads it masked (<see cref="TemplateKey.MaskValues"/>): it judges the wording,
/// never a patient's name, appointment or address.
/// </summary>
[Authorize(Policy = ConsolePolicies.Review)]
public sealed class ItemModel(ReviewQueue queue, NpgsqlDataSource dataSource) : ConsolePageModel
{
    public HeldDetail? Held { get; private set; }

    /// <summary>The body with the unsure sentence marked; null once the content is purged.</summary>
    public MarkedText? Text { get; private set; }

    /// <summary>Marketing reads the message as a template: names, dates, addresses and numbers masked.</summary>
    public bool Masked => Role == StaffRoles.Marketing;

    public SettleResult? Result { get; private set; }

    [BindProperty] public string? Note { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        Title = T("Held message", "Message retenu");
        Held = await queue.ShowAsync(TenantId, id, ct);
        if (Held is null)
        {
            return NotFound();
        }

        if (Held.Body is not null)
        {
            await LogAccessAsync(await PatientOfAsync(id, ct), "review.view", "held " + id);
            Text = MarkedText.Of(Held.Body, Held.Sentence, Masked ? TemplateKey.MaskValues : null);
        }

        return Page();
    }

    public Task<IActionResult> OnPostApproveAsync(Guid id, CancellationToken ct) => SettleAsync(id, ReviewQueue.Service, ct);

    public Task<IActionResult> OnPostMarketingAsync(Guid id, CancellationToken ct) => SettleAsync(id, ReviewQueue.Marketing, ct);

    private async Task<IActionResult> SettleAsync(Guid id, string verdict, CancellationToken ct)
    {
        Result = await queue.SettleAsync(TenantId, id, verdict, Actor, string.IsNullOrWhiteSpace(Note) ? null : Note.Trim(), ct);
        if (Result.Status == SettleStatus.NotFound)
        {
            return NotFound();
        }

        Title = T("Held message", "Message retenu");
        Held = await queue.ShowAsync(TenantId, id, ct);
        if (Held?.Body is not null)
        {
            Text = MarkedText.Of(Held.Body, Held.Sentence, Masked ? TemplateKey.MaskValues : null);
        }

        if (Result.Status == SettleStatus.AlreadySettled)
        {
            Response.StatusCode = StatusCodes.Status409Conflict;
        }

        return Page();
    }

    /// <summary>The text as this role may read it: masked for marketing (never a patient's details), as held for the DPO.</summary>
    public string? Shown(string? text) => text is null || !Masked ? text : TemplateKey.MaskValues(text);

    private async Task<string?> PatientOfAsync(Guid heldId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition("""
            select d.patient_id from held_intents h join decisions d on d.decision_id = h.held_decision_id
            where h.tenant_id = @tenant and h.held_id = @heldId
            """, new { tenant = TenantId, heldId }, cancellationToken: ct));
    }
}

using CommsGateway.Features.Audit;
using CommsGateway.Features.Console.Staff;
using CommsGateway.Features.Consent;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace CommsGateway.Features.Console.Decisions;

/// <summary>
/// "Why?": one decision in plain words, the consent event it relied on with its evidence, the policy version, and
/// whether the clinic's decision and consent chains verify now (the verifiers of `commsgw audit verify`).
/// </summary>
[Authorize(Policy = ConsolePolicies.Decisions)]
public sealed class DetailModel(DecisionQuery decisions, ConsentLedger ledger, NpgsqlDataSource dataSource) : ConsolePageModel
{
    public DecisionEntry? Decision { get; private set; }

    public ConsentEventView? Consent { get; private set; }

    public ChainReport? DecisionChain { get; private set; }

    public ConsentChainReport? ConsentChain { get; private set; }

    /// <summary>Marketing sees the consent relied on but not its personal provenance (address, browser, form link).</summary>
    public bool ShowProvenance => Role == StaffRoles.Dpo;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        Title = T("Why this decision?", "Pourquoi cette décision ?");
        Decision = await decisions.FindAsync(TenantId, id, ct);
        if (Decision is null)
        {
            return NotFound();
        }

        await LogAccessAsync(Decision.PatientId, "decision.view", "decision " + id);
        if (Decision is { ConsentEventId: { } eventId, PatientId: { } patient })
        {
            Consent = (await ledger.HistoryAsync(TenantId, patient, ct))?.FirstOrDefault(e => e.EventId == eventId);
        }

        DecisionChain = await DecisionChainVerifier.VerifyAsync(dataSource, TenantId, ct);
        ConsentChain = await ConsentChainVerifier.VerifyAsync(dataSource, TenantId, ct);
        return Page();
    }

    public string Headline(string outcome) => outcome switch
    {
        "Sent" => T("Sent: the message went to the patient.", "Envoyé : le message est parti vers le patient."),
        "SentWithMarketingRemoved" => T("Sent without its promotional part.", "Envoyé sans sa partie promotionnelle."),
        "Blocked" => T("Blocked: nothing was sent.", "Bloqué : rien n'a été envoyé."),
        "Deferred" => T("Deferred: it waits for an allowed time.", "Reporté : il attend une heure autorisée."),
        "Held" => T("Held: a person at the clinic must decide.", "Retenu : une personne de la clinique doit décider."),
        "Rejected" => T("Rejected: the message could not be read.", "Rejeté : le message était illisible."),
        "Duplicate" => T("Duplicate: already decided once.", "Doublon : déjà décidé une fois."),
        _ => outcome,
    };
}

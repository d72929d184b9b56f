using CommsGateway.Features.Patients;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Patients;

/// <summary>Erasure (GDPR art. 17) through <see cref="PatientRecords.EraseAsync"/>, after typing the patient's id to confirm; DPO only, logged.</summary>
[Authorize(Policy = ConsolePolicies.PatientExport)]
public sealed class EraseModel(PatientRecords records) : ConsolePageModel
{
    public string PatientId { get; private set; } = "";

    public ErasureResult? Result { get; private set; }

    public string? Error { get; private set; }

    public void OnGet(string id)
    {
        Title = T("Erase a patient", "Effacer un patient");
        PatientId = id;
    }

    public async Task<IActionResult> OnPostAsync(string id, string? confirm, CancellationToken ct)
    {
        OnGet(id);
        if (!string.Equals(confirm?.Trim(), id, StringComparison.Ordinal))
        {
            Error = T("Type the patient's id exactly to confirm.", "Saisissez exactement l'identifiant du patient pour confirmer.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        Result = await records.EraseAsync(TenantId, id, Actor, ct);
        if (Result is null)
        {
            return NotFound();
        }

        await LogAccessAsync(id, "patient.erase", null);
        return Page();
    }
}

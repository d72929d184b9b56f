using System.Text.Json;
using CommsGateway.Features.Patients;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Patients;

/// <summary>The access-request export (GDPR art. 15) as JSON, from <see cref="PatientRecords.ExportAsync"/> (the API's and the CLI's); DPO only, logged.</summary>
[Authorize(Policy = ConsolePolicies.PatientExport)]
public sealed class ExportModel(PatientRecords records) : ConsolePageModel
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        var export = await records.ExportAsync(TenantId, id, Actor, ct);
        if (export is null)
        {
            return NotFound();
        }

        await LogAccessAsync(id, "patient.export", "json");
        return File(JsonSerializer.SerializeToUtf8Bytes(export, Json), "application/json", $"{TenantId}-{id}.json");
    }
}

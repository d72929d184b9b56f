using System.Text;
using System.Text.Json;
using CommsGateway.Features.Patients;
using CommsGateway.Features.Preferences;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Patients;

/// <summary>
/// The access-request export (GDPR art. 15) from <see cref="PatientRecords.ExportAsync"/> (the API's and the CLI's): JSON,
/// or with <c>?format=html</c> the document the patient reads (<see cref="AccessReports"/>), in <c>?lang=</c> or the
/// patient's language. A download either way: the DPO sends it on. DPO only, logged with its format.
/// </summary>
[Authorize(Policy = ConsolePolicies.PatientExport)]
public sealed class ExportModel(PatientRecords records, AccessReports reports) : ConsolePageModel
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<IActionResult> OnGetAsync(string id, string? format, string? lang, CancellationToken ct)
    {
        var html = format == "html";
        if (format is not null && !html && format != "json")
        {
            return BadRequest();
        }

        var export = await records.ExportAsync(TenantId, id, Actor, ct);
        if (export is null)
        {
            return NotFound();
        }

        await LogAccessAsync(id, "patient.export", html ? "html" : "json");
        return html
            ? File(Encoding.UTF8.GetBytes(await reports.HtmlAsync(export, lang, ct)), "text/html; charset=utf-8", $"{TenantId}-{id}.html")
            : File(JsonSerializer.SerializeToUtf8Bytes(export, Json), "application/json", $"{TenantId}-{id}.json");
    }
}

using CommsGateway.Features.Admin;
using CommsGateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CommsGateway.Features.Patients;

/// <summary>
/// A patient's rights over their data: the access request (art. 15: everything held, as JSON or a readable document)
/// and erasure (art. 17). Needs the Consent feature (the ledger and the opt-outs: erasure leaves suppressions).
/// </summary>
public static class PatientsFeature
{
    public static IHostApplicationBuilder AddPatients(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<PatientRecords>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPatients(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var patients = endpoints.MapPatientApi();
        patients.MapGet("/export", Export).WithSummary("Access request: everything held about the patient");
        patients.MapDelete("", Erase).WithSummary("Erasure: delete contact points, pseudonymise, keep a hashed suppression");
        return endpoints;
    }

    /// <summary>JSON for the DPO; ?format=html (and ?lang=fr|en) the same export as a document the patient can read.</summary>
    private static async Task<Results<Ok<PatientExport>, ContentHttpResult, NotFound>> Export(
        string patientId, HttpContext http, PatientRecords records, Preferences.AccessReports reports, CancellationToken ct,
        string? format = null, string? lang = null)
    {
        if (await records.ExportAsync(http.User.Tenant(), patientId, http.Actor(), ct) is not { } export)
        {
            return TypedResults.NotFound();
        }

        return format == "html"
            ? TypedResults.Content(await reports.HtmlAsync(export, lang, ct), "text/html; charset=utf-8")
            : TypedResults.Ok(export);
    }

    private static async Task<Results<Ok<ErasureResult>, NotFound>> Erase(
        string patientId, HttpContext http, PatientRecords records, CancellationToken ct) =>
        await records.EraseAsync(http.User.Tenant(), patientId, http.Actor(), ct) is { } erased ? TypedResults.Ok(erased) : TypedResults.NotFound();
}

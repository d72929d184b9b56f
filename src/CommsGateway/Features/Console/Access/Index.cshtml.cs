using CommsGateway.Features.Audit;
using Microsoft.AspNetCore.Authorization;

namespace CommsGateway.Features.Console.Access;

/// <summary>The DPO's view of the access log: "who viewed patient X", "what did staff Y see", and whether the chain holds.</summary>
[Authorize(Policy = ConsolePolicies.AccessLog)]
public sealed class IndexModel(Audit.AccessLog log) : ConsolePageModel
{
    public string? Patient { get; private set; }

    public string? Staff { get; private set; }

    public IReadOnlyList<AccessLogRow> Rows { get; private set; } = [];

    public AccessLogReport? Chain { get; private set; }

    public async Task OnGetAsync(string? patient, string? staff, CancellationToken ct)
    {
        Title = T("Access log", "Journal des accès");
        Patient = string.IsNullOrWhiteSpace(patient) ? null : patient.Trim();
        Staff = string.IsNullOrWhiteSpace(staff) ? null : staff.Trim();
        Rows = await log.QueryAsync(TenantId, Patient, Staff, 200, ct);
        Chain = await log.VerifyAsync(TenantId, ct);
        if (Patient is not null)
        {
            // Asking who saw a patient is itself a look at that patient's record.
            await LogAccessAsync(Patient, "access-log.view", null);
        }
    }
}

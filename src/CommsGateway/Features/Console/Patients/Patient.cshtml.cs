using CommsGateway.Core.Consent;
using CommsGateway.Features.Console.Staff;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Contacts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Patients;

/// <summary>
/// A patient's record: contact points (masked for reception, whole for the DPO), the consent matrix (purpose ×
/// channel, photo placements) and the full ledger history with its evidence. Every opening is logged first.
/// </summary>
[Authorize(Policy = ConsolePolicies.Patients)]
public sealed class PatientModel(ContactDirectory contacts, ConsentLedger ledger) : ConsolePageModel
{
    public static readonly IReadOnlyList<string> Channels = ["email", "sms", "whatsapp"];

    public static readonly IReadOnlyList<string> Placements = [.. Enum.GetValues<PhotoPlacement>().Select(ConsentNames.Name)];

    public string PatientId { get; private set; } = "";

    public ContactPoint? Contact { get; private set; }

    public IReadOnlyList<ConsentCurrentView> Current { get; private set; } = [];

    public IReadOnlyList<ConsentEventView> History { get; private set; } = [];

    /// <summary>Reception confirms an address with the patient ("ending in 78?"); only the DPO sees it whole.</summary>
    public bool ShowFullContact => Role == StaffRoles.Dpo;

    public string? Notice { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, string? recorded, CancellationToken ct)
    {
        Title = T("Patient", "Patient");
        PatientId = id;
        var history = await ledger.HistoryAsync(TenantId, id, ct);
        Contact = await contacts.FindAsync(TenantId, id, ct);
        if (history is null && Contact is null)
        {
            return NotFound();
        }

        await LogAccessAsync(id, "patient.view", null);
        History = history ?? [];
        Current = await ledger.CurrentAsync(TenantId, id, ct) ?? [];
        Notice = recorded;
        return Page();
    }

    public ConsentCurrentView? State(string purpose, string? channel, string? placement) =>
        Current.FirstOrDefault(c => c.Purpose == purpose && c.Channel == channel && c.Placement == placement);

    public string Cell(ConsentCurrentView? state) => state switch
    {
        null => T("not asked", "non demandé"),
        { Granted: true, Lapsed: true } => T("lapsed", "expiré"),
        { Granted: true } => T("yes", "oui"),
        _ => T("no", "non"),
    };
}

using CommsGateway.Core.Consent;
using CommsGateway.Features.Console.Staff;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Contacts;
using CommsGateway.Features.Preferences;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Patients;

/// <summary>
/// A patient's record: contact points (masked for reception, whole for the DPO), the consent matrix (purpose ×
/// channel, photo placements) and the full ledger history with its evidence. Every opening is logged first. The desk can
/// open the clinic's consent form for the patient (a signed link, for a tablet or to hand over): issuing it is logged too.
/// </summary>
[Authorize(Policy = ConsolePolicies.Patients)]
public sealed class PatientModel(ContactDirectory contacts, ConsentLedger ledger, CaptureFormLinks captureForms) : ConsolePageModel
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

    /// <summary>The consent form link just issued for this patient (shown once; it is valid 30 days).</summary>
    public Uri? CaptureFormLink { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, string? recorded, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        await LogAccessAsync(id, "patient.view", null);
        Notice = recorded;
        return Page();
    }

    /// <summary>Issues a capture-form link in the language chosen (the patient's own by default).</summary>
    public async Task<IActionResult> OnPostCaptureFormAsync(string id, string? locale, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        var language = Core.Unsubscribe.UnsubscribeLocales.From(locale ?? Contact?.Locale);
        CaptureFormLink = await captureForms.IssueAsync(TenantId, id, language, ct);
        await LogAccessAsync(id, "patient.capture-form-link", null);
        return Page();
    }

    private async Task<bool> LoadAsync(string id, CancellationToken ct)
    {
        Title = T("Patient", "Patient");
        PatientId = id;
        var history = await ledger.HistoryAsync(TenantId, id, ct);
        Contact = await contacts.FindAsync(TenantId, id, ct);
        if (history is null && Contact is null)
        {
            return false;
        }

        History = history ?? [];
        Current = await ledger.CurrentAsync(TenantId, id, ct) ?? [];
        return true;
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

using System.Security.Cryptography;
using System.Text;
using CommsGateway.Core.Consent;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Preferences;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Patients;

/// <summary>
/// Consent recorded at the desk: one unticked box per purpose and channel (or photo placement), each with the exact
/// sentence the patient reads. A ticked box becomes one ledger event through <see cref="ConsentLedger.RecordAsync"/>
/// (the API's and the CLI's path), citing the wording's version and SHA-256; the wording itself is kept by its hash.
/// </summary>
[Authorize(Policy = ConsolePolicies.Patients)]
public sealed class ConsentModel(ConsentLedger ledger, OptOuts optOuts, TenantDirectory tenants, WordingCatalogue wordings) : ConsolePageModel
{
    /// <summary>One box: what it records and the sentence shown beside it.</summary>
    public sealed record Box(string Key, ConsentAction Action, string Purpose, string? Channel, string? Placement, string Wording, string Version);

    public string PatientId { get; private set; } = "";

    public IReadOnlyList<Box> Boxes { get; private set; } = [];

    public IReadOnlyList<string> Errors { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        if (await LoadAsync(id, Lang, ct) is { } missing)
        {
            return missing;
        }

        await LogAccessAsync(id, "patient.consent-form", null);
        return Page();
    }

    /// <summary>The boxes are rebuilt in the language they were shown in (the form says which), so the stored wording is the one read.</summary>
    public async Task<IActionResult> OnPostAsync(string id, string shownIn, string[] ticked, CancellationToken ct)
    {
        var lang = shownIn is "fr" ? "fr" : "en";
        if (await LoadAsync(id, lang, ct) is { } missing)
        {
            return missing;
        }

        var chosen = Boxes.Where(b => ticked.Contains(b.Key, StringComparer.Ordinal)).ToList();
        if (chosen.Count == 0)
        {
            Errors = [T("Tick at least one box, as the patient asked.", "Cochez au moins une case, comme le patient l'a demandé.")];
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var errors = new List<string>();
        foreach (var box in chosen)
        {
            var sha = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(box.Wording)));
            await wordings.KeepDeskWordingAsync(TenantId, box.Purpose + "." + (box.Channel ?? box.Placement), lang, box.Version, box.Wording, sha, ct);

            var command = new ConsentCommand
            {
                TenantId = TenantId, PatientId = id, Action = box.Action, Purposes = [box.Purpose],
                Channels = box.Channel is null ? [] : [box.Channel], Placement = box.Placement,
                Evidence = new ConsentEvidence
                {
                    Source = "staff_entry", WordingVersion = box.Version, WordingSha256 = sha, CapturedBy = StaffEmail,
                    Extra = new Dictionary<string, string> { ["shown"] = "console desk form, boxes unticked", ["language"] = lang },
                },
            };
            var result = box.Action == ConsentAction.Withdraw ? await optOuts.WithdrawAsync(command, Actor, ct) : await ledger.RecordAsync(command, Actor, ct);
            errors.AddRange(result.Errors.Select(e => $"{box.Key}: {e.Message}"));
        }

        if (errors.Count > 0)
        {
            Errors = errors;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        return Redirect($"/console/patients/{Uri.EscapeDataString(id)}?recorded={Uri.EscapeDataString(string.Join(", ", chosen.Select(b => b.Key)))}");
    }

    private async Task<IActionResult?> LoadAsync(string id, string lang, CancellationToken ct)
    {
        Title = T("Record consent at the desk", "Enregistrer un accord à l'accueil");
        PatientId = id;
        if (await ledger.CurrentAsync(TenantId, id, ct) is null)
        {
            return NotFound();
        }

        var clinic = (await tenants.FindAsync(TenantId, ct))?.Name ?? TenantId;
        Boxes = BoxesFor(clinic, lang);
        return null;
    }

    /// <summary>The wordings, versioned: changing a sentence means a new version.</summary>
    public static IReadOnlyList<Box> BoxesFor(string clinic, string lang)
    {
        var fr = lang == "fr";
        var boxes = new List<Box>();
        foreach (var (channel, en, frName) in new[] { ("email", "email", "e-mail"), ("sms", "SMS", "SMS"), ("whatsapp", "WhatsApp", "WhatsApp") })
        {
            boxes.Add(new($"grant-marketing-{channel}", ConsentAction.Grant, "marketing", channel, null,
                fr ? $"J'accepte de recevoir les offres et actualités de {clinic} par {frName}." : $"I agree to receive offers and news from {clinic} by {en}.",
                $"desk-marketing-{channel}-v1-{lang}"));
        }

        foreach (var placement in PatientModel.Placements)
        {
            boxes.Add(new($"grant-photo-{placement}", ConsentAction.Grant, "photo_marketing", null, placement,
                fr ? $"J'accepte que {clinic} utilise mes photos avant/après dans : {placement}." : $"I agree that {clinic} may use my before/after photos in: {placement}.",
                $"desk-photo-{placement}-v1-{lang}"));
        }

        foreach (var channel in PatientModel.Channels)
        {
            boxes.Add(new($"withdraw-marketing-{channel}", ConsentAction.Withdraw, "marketing", channel, null,
                fr ? $"Je ne veux plus recevoir d'offres de {clinic} par {channel}." : $"I no longer want offers from {clinic} by {channel}.",
                $"desk-withdraw-{channel}-v1-{lang}"));
        }

        return boxes;
    }
}

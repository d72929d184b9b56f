using System.Globalization;
using CommsGateway.Core.Preferences;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Preferences;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Settings;

/// <summary>
/// The clinic admin's settings: sender identities (<see cref="TenantDirectory.UpdateIdentityAsync"/>, as `commsgw tenant
/// sender`), the marketing window (quiet hours), frequency cap and consent lapse (<see cref="TenantDirectory.UpdateSettingsAsync"/>,
/// as `commsgw tenant set`). Both apply to the next decision. The patient pages' brand (<see cref="ClinicBrands"/>, checked
/// by <see cref="ClinicBrand.Check"/>, as `commsgw tenant set --brand-*`).
/// </summary>
[Authorize(Policy = ConsolePolicies.Settings)]
public sealed class IndexModel(TenantDirectory tenants, ClinicBrands brands) : ConsolePageModel
{
    public static readonly IReadOnlyList<string> SenderFields = ["email_from", "email_from_name", "reply_to", "sms_from", "whatsapp_from", "help_contact"];

    public TenantInfo? Clinic { get; private set; }

    public IReadOnlyList<string> Errors { get; private set; } = [];

    public bool Saved { get; private set; }

    public IReadOnlyDictionary<string, string?> Brand { get; private set; } = new Dictionary<string, string?>();

    /// <summary>What the admin typed when the form was refused, shown again instead of the stored value.</summary>
    private Dictionary<string, string?>? _postedBrand;

    public string BrandValue(string field) => (_postedBrand ?? Brand).GetValueOrDefault(field) ?? "";

    public async Task<IActionResult> OnGetAsync(bool saved, CancellationToken ct)
    {
        Title = T("Clinic settings", "Réglages de la clinique");
        Saved = saved;
        Clinic = await tenants.FindAsync(TenantId, ct);
        Brand = await brands.StoredFieldsAsync(TenantId, ct) ?? Brand;
        return Clinic is null ? NotFound() : Page();
    }

    public string Sender(string field) => field switch
    {
        "email_from" => Clinic!.Sender.EmailFrom,
        "email_from_name" => Clinic!.Sender.EmailFromName,
        "reply_to" => Clinic!.Sender.ReplyTo,
        "sms_from" => Clinic!.Sender.SmsFrom,
        "whatsapp_from" => Clinic!.Sender.WhatsAppFrom,
        "help_contact" => Clinic!.HelpContact,
        _ => null,
    } ?? "";

    public async Task<IActionResult> OnPostAsync(string windowStart, string windowEnd, int frequencyCap, int lapseMonths, bool quietHoursForEmail,
        CancellationToken ct)
    {
        var errors = new List<string>();
        var startOk = TimeOnly.TryParseExact(windowStart, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start);
        var endOk = TimeOnly.TryParseExact(windowEnd, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end);
        if (!startOk || !endOk || end <= start)
        {
            errors.Add(T("The marketing window is two times (HH:mm), the end after the start.", "La plage marketing est faite de deux heures (HH:mm), la fin après le début."));
        }

        if (frequencyCap is < 0 or > 100)
        {
            errors.Add(T("The frequency cap is 0 to 100 messages per 7 days.", "Le plafond est de 0 à 100 messages par 7 jours."));
        }

        if (lapseMonths is < 1 or > 120)
        {
            errors.Add(T("Consent lapses after 1 to 120 months.", "L'accord expire après 1 à 120 mois."));
        }

        var fields = SenderFields.ToDictionary(f => f, f => (string?)Request.Form["sender_" + f].ToString().Trim(), StringComparer.Ordinal);
        errors.AddRange(fields.Select(f => TenantDirectory.CheckIdentityField(f.Key, f.Value)).OfType<string>());
        var brandFields = ClinicBrand.Fields.ToDictionary(f => f, f => (string?)Request.Form["brand_" + f].ToString().Trim(), StringComparer.Ordinal);
        errors.AddRange(brandFields.Select(f => ClinicBrand.Check(f.Key, f.Value)).OfType<string>());
        if (errors.Count > 0)
        {
            Errors = errors;
            _postedBrand = brandFields;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return await OnGetAsync(false, ct);
        }

        await tenants.UpdateSettingsAsync(TenantId, new Dictionary<string, object?>
        {
            ["marketing_window_start"] = start.ToString("HH:mm", CultureInfo.InvariantCulture),
            ["marketing_window_end"] = end.ToString("HH:mm", CultureInfo.InvariantCulture),
            ["marketing_frequency_cap_per_7_days"] = frequencyCap,
            ["consent_lapse_months"] = lapseMonths,
            ["quiet_hours_for_email"] = quietHoursForEmail,
        }, Actor, ct);
        await tenants.UpdateIdentityAsync(TenantId, fields, Actor, ct);
        // Only the changed fields: the admin audit then records what the admin actually changed.
        var stored = await brands.StoredFieldsAsync(TenantId, ct) ?? new Dictionary<string, string?>();
        var changed = brandFields.Where(f => (f.Value is { Length: > 0 } v ? v : null) != stored.GetValueOrDefault(f.Key))
            .ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        if (changed.Count > 0 && await brands.UpdateAsync(TenantId, changed, Actor, ct) is { Count: > 0 } refused)
        {
            Errors = refused;
            _postedBrand = brandFields;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return await OnGetAsync(false, ct);
        }

        return RedirectToPage(new { saved = true });
    }
}

using System.Globalization;
using CommsGateway.Features.Admin;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Settings;

/// <summary>
/// The clinic admin's settings: sender identities (<see cref="TenantDirectory.UpdateIdentityAsync"/>, as `commsgw tenant
/// sender`), the marketing window (quiet hours), frequency cap and consent lapse (<see cref="TenantDirectory.UpdateSettingsAsync"/>,
/// as `commsgw tenant set`). Both apply to the next decision.
/// </summary>
[Authorize(Policy = ConsolePolicies.Settings)]
public sealed class IndexModel(TenantDirectory tenants) : ConsolePageModel
{
    public static readonly IReadOnlyList<string> SenderFields = ["email_from", "email_from_name", "reply_to", "sms_from", "whatsapp_from", "help_contact"];

    public TenantInfo? Clinic { get; private set; }

    public IReadOnlyList<string> Errors { get; private set; } = [];

    public bool Saved { get; private set; }

    public async Task<IActionResult> OnGetAsync(bool saved, CancellationToken ct)
    {
        Title = T("Clinic settings", "Réglages de la clinique");
        Saved = saved;
        Clinic = await tenants.FindAsync(TenantId, ct);
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
        if (errors.Count > 0)
        {
            Errors = errors;
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
        return RedirectToPage(new { saved = true });
    }
}

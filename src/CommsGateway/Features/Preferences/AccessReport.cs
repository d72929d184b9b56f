using System.Text;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Patients;
using static CommsGateway.Features.Preferences.PatientPage;

namespace CommsGateway.Features.Preferences;

/// <summary>
/// The access request's answer as a document the patient can read (GDPR art. 15, in the plain language of art. 12(1)):
/// the same export the DPO's JSON holds — contact points, every consent event with its wording, every message decided
/// and why — in words, printable. Produced by the DPO's export only: the clinic verifies who is asking.
/// </summary>
public static class AccessReport
{
    public static string Html(PatientExport export, ClinicBrand brand, UnsubscribeLocale l, WordingSet wordings)
    {
        ArgumentNullException.ThrowIfNull(wordings);
        ArgumentNullException.ThrowIfNull(export);
        ArgumentNullException.ThrowIfNull(brand);
        var body = new StringBuilder();
        body.Append($"<h1>{E(T(l, "Vos données de communication", "Your communication data"))}</h1>\n");
        body.Append($"<p>{E(T(l, $"Ce document répond à votre demande d'accès (RGPD, article 15). Il montre ce que {brand.Name} conserve pour vous envoyer des messages. Établi le {Date(l, export.ExportedAt)}.",
            $"This document answers your access request (GDPR, article 15). It shows what {brand.Name} keeps to send you messages. Prepared on {Date(l, export.ExportedAt)}."))}</p>\n");

        body.Append($"<h2>{E(T(l, "Comment nous vous joignons", "How we reach you"))}</h2>\n");
        if (export.Contact is { } c)
        {
            body.Append("<dl>\n");
            Row(body, T(l, "Nom", "Name"), string.Join(' ', new[] { c.FirstName, c.LastName }.Where(n => !string.IsNullOrWhiteSpace(n))));
            Row(body, T(l, "E-mail", "Email"), c.Email);
            Row(body, T(l, "Téléphone (SMS)", "Phone (text messages)"), c.Phone);
            Row(body, "WhatsApp", c.WhatsApp);
            Row(body, T(l, "Langue", "Language"), c.Locale);
            Row(body, T(l, "Dernier contact avec la clinique", "Last contact with the clinic"), c.LastInteractionAt is { } last ? Date(l, last) : null);
            body.Append("</dl>\n");
        }
        else
        {
            body.Append($"<p>{E(T(l, "Aucune adresse n'est plus enregistrée.", "No address is on record any more."))}</p>\n");
        }

        if (export.Suppressions.Count > 0)
        {
            body.Append($"<p>{E(T(l, "Adresses bloquées (plus aucun envoi) :", "Blocked addresses (nothing is sent to them):"))}</p><ul>\n");
            foreach (var s in export.Suppressions)
            {
                body.Append($"<li>{E(PlainWords.Channel(s.Channel, l))} — {E(s.Reason)} — {E(Date(l, s.CreatedAt))}</li>\n");
            }

            body.Append("</ul>\n");
        }

        body.Append($"<h2>{E(T(l, "Vos accords et refus, dans l'ordre", "Your consents and refusals, in order"))}</h2>\n");
        if (export.ConsentHistory.Count == 0)
        {
            body.Append($"<p>{E(T(l, "Aucun.", "None."))}</p>\n");
        }

        body.Append("<ol>\n");
        foreach (var e in export.ConsentHistory)
        {
            var what = PlainWords.Purpose(e.Purpose, l) + " — " + (e.Channel is { } ch ? PlainWords.Channel(ch, l) : e.Placement ?? "");
            var action = e.Action == "grant" ? T(l, "accord donné", "consent given") : T(l, "refus ou retrait", "refused or withdrawn");
            body.Append($"<li><p><strong>{E(Date(l, e.OccurredAt))}</strong> : {E(action)} — {E(what)} ({E(PreferencePages.SourceName(l, e.Source))})</p>\n");
            if (e.WordingVersion is not null)
            {
                var known = wordings.Find(e.WordingVersion);
                body.Append(known is null
                    ? $"<p class=\"note\">{E(T(l, "Texte présenté : version ", "Wording shown: version "))}{E(e.WordingVersion)} (SHA-256 <span class=\"hash\">{E(e.WordingSha256?.ToLowerInvariant())}</span>){E(T(l, ", conservé par la clinique.", ", kept by the clinic."))}</p>\n"
                    : $"<blockquote>{E(known.Text)}</blockquote>\n");
            }

            body.Append("</li>\n");
        }

        body.Append("</ol>\n");

        body.Append($"<h2>{E(T(l, "Les messages et ce que nous avons décidé", "The messages and what we decided"))}</h2>\n");
        body.Append($"<p class=\"note\">{E(T(l, "Le contenu des messages n'est pas conservé ici, seulement la décision et sa raison.", "The content of messages is not kept here, only the decision and its reason."))}</p>\n");
        if (export.Decisions.Count == 0)
        {
            body.Append($"<p>{E(T(l, "Aucun message.", "No messages."))}</p>\n");
        }

        body.Append("<ol>\n");
        foreach (var d in export.Decisions)
        {
            var reasons = string.Join(" ; ", d.Reasons.Select(r => PlainWords.Reason(r, l)).Distinct());
            body.Append($"<li><p><strong>{E(Date(l, d.DecidedAt))}</strong> — {E(PlainWords.Channel(d.Channel, l))}, {E(PlainWords.Purpose(d.DetectedPurpose, l))} : "
                + $"<strong>{E(PlainWords.Outcome(d.Outcome, l))}</strong>{(reasons.Length == 0 ? "" : " — " + E(reasons))}.</p></li>\n");
        }

        body.Append("</ol>\n");
        body.Append($"<p class=\"note\">{E(T(l, "Pour toute question, ou pour modifier ou effacer ces données, contactez la clinique.", "For any question, or to correct or erase this data, contact the clinic."))}</p>\n");
        return Layout(l, brand, T(l, "Vos données de communication", "Your communication data"), body.ToString());
    }

    private static void Row(StringBuilder body, string label, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            body.Append($"<dt>{E(label)}</dt><dd>{E(value)}</dd>\n");
        }
    }
}

/// <summary>
/// The access report of a patient's export with the clinic's own look and consent wordings, in the language asked
/// for or else the patient's own (French when unknown): one place for the admin API, the console and the CLI.
/// </summary>
public sealed class AccessReports(ClinicBrands brands, WordingCatalogue wordings)
{
    public async Task<string> HtmlAsync(PatientExport export, string? lang, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(export);
        var brand = await brands.FindAsync(export.TenantId, ct) ?? new ClinicBrand(export.TenantId);
        return AccessReport.Html(export, brand, UnsubscribeLocales.From(lang ?? export.Contact?.Locale ?? "fr"),
            await wordings.ForTenantAsync(export.TenantId, ct));
    }
}

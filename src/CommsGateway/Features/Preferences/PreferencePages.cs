using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Consent;
using static CommsGateway.Features.Preferences.PatientPage;

namespace CommsGateway.Features.Preferences;

/// <summary>A form's antiforgery field, rendered into every form the patient pages post.</summary>
public sealed record FormToken(string FieldName, string Value)
{
    public string Field => $"""<input type="hidden" name="{E(FieldName)}" value="{E(Value)}">""";
}

/// <summary>The preference centre's pages: plain HTML forms, usable without JavaScript.</summary>
internal static class PreferencePages
{
    public static string ItemTitle(UnsubscribeLocale l, ConsentItem item) => item.Purpose == ConsentPurpose.PhotoMarketing
        ? T(l, "Mes photos : ", "My photos: ") + ConsentWordings.PlacementName(item.Placement!.Value, l)
        : T(l, "Offres par ", "Offers by ") + ConsentWordings.ChannelName(item.Channel!.Value, l);

    public static string Preferences(UnsubscribeLocale l, string token, PreferenceView view, FormToken form, string? status, string? alert)
    {
        var path = "/p/" + token;
        var body = new StringBuilder();
        body.Append($"<h1>{E(T(l, "Mes choix", "My choices"))}</h1>\n");
        if (status is not null)
        {
            body.Append($"<div role=\"status\"><p>{status}</p>{ReceiptLinks(l, token)}</div>\n");
        }

        if (alert is not null)
        {
            body.Append($"<div class=\"alert\" role=\"alert\"><p>{E(alert)}</p></div>\n");
        }

        body.Append($"<p>{E(T(l,
            $"Ce que vous avez accepté avec {view.Brand.Name}, quand, et avec quel texte. Vous pouvez changer d'avis à tout moment : un retrait prend effet immédiatement.",
            $"What you agreed to with {view.Brand.Name}, when, and with which wording. You can change your mind at any time: a withdrawal takes effect immediately."))}</p>\n");
        body.Append($"<p class=\"note\">{E(T(l, "Les messages liés à vos rendez-vous et à vos soins ne dépendent pas de ces choix.", "Messages about your appointments and care do not depend on these choices."))}</p>\n");
        Section(body, l, path, form, T(l, "Actualités et offres", "News and offers"), view.Rows.Where(r => r.Item.Purpose == ConsentPurpose.Marketing));
        Section(body, l, path, form, T(l, "Utilisation de mes photos avant/après", "Use of my before/after photos"), view.Rows.Where(r => r.Item.Purpose == ConsentPurpose.PhotoMarketing));
        body.Append($"<h2>{E(T(l, "Reçu", "Receipt"))}</h2>\n<p>{E(T(l, "Un reçu de vos choix actuels, à conserver :", "A receipt of your current choices, to keep:"))}</p>{ReceiptLinks(l, token)}\n");
        return Layout(l, view.Brand, T(l, "Mes choix", "My choices"), body.ToString(), path);
    }

    private static void Section(StringBuilder body, UnsubscribeLocale l, string path, FormToken form, string heading, IEnumerable<PreferenceRow> rows)
    {
        body.Append($"<h2>{E(heading)}</h2>\n<ul class=\"items\">\n");
        foreach (var row in rows)
        {
            var title = ItemTitle(l, row.Item);
            body.Append($"<li>\n<h3>{E(title)}</h3>\n");
            body.Append($"<p class=\"state {(row.Granted && !row.Lapsed ? "on" : "off")}\">{E(StateText(l, row))}</p>\n");
            if (row.Latest is { } latest && latest.Action == "grant")
            {
                body.Append(WordingDetails(l, latest, row.LatestWording));
            }

            if (row.ConfirmationPending && !row.Granted)
            {
                body.Append($"<p class=\"note\">{E(T(l, "Confirmation envoyée par e-mail : ouvrez le lien reçu pour l'activer.", "Confirmation sent by email: open the link you received to turn it on."))}</p>\n");
            }

            if (row.Granted)
            {
                body.Append($"""
                    <form method="post" action="{E(path)}/withdraw?lang={LocaleName(l)}">
                    {form.Field}
                    <input type="hidden" name="item" value="{E(row.Item.Key)}">
                    <button type="submit" class="secondary">{E(T(l, "Retirer mon accord", "Withdraw my consent"))}<span class="visually-hidden"> – {E(title)}</span></button>
                    </form>

                    """);
            }
            else
            {
                body.Append($"""<p><a class="button" href="{E(path)}/grant/{E(row.Item.Key)}?lang={LocaleName(l)}">{E(T(l, "Donner mon accord…", "Give my consent…"))}<span class="visually-hidden"> – {E(title)}</span></a></p>""" + "\n");
            }

            body.Append("</li>\n");
        }

        body.Append("</ul>\n");
    }

    private static string StateText(UnsubscribeLocale l, PreferenceRow row)
    {
        if (row.Latest is not { } latest)
        {
            return T(l, "Pas d'accord enregistré.", "No consent on record.");
        }

        var when = Date(l, latest.OccurredAt);
        var how = SourceName(l, latest.Source);
        return (row.Granted, row.Lapsed) switch
        {
            (true, true) => T(l, $"Accord expiré (donné le {when}, {how}) : il n'est plus utilisé.", $"Consent lapsed (given on {when}, {how}): no longer used."),
            (true, false) => T(l, $"Accepté le {when} ({how}).", $"Agreed on {when} ({how})."),
            _ => T(l, $"Refusé ou retiré le {when} ({how}).", $"Refused or withdrawn on {when} ({how})."),
        };
    }

    public static string SourceName(UnsubscribeLocale l, string source) => source switch
    {
        "preference_centre" => T(l, "sur cette page", "on this page"),
        "unsubscribe_undo" => T(l, "en annulant une désinscription", "by undoing an unsubscribe"),
        "unsubscribe_link" => T(l, "lien de désinscription", "unsubscribe link"),
        "capture_form" => T(l, "formulaire de la clinique", "the clinic's form"),
        "web_form" => T(l, "formulaire en ligne", "online form"),
        "paper_form" => T(l, "formulaire papier", "paper form"),
        "staff_entry" => T(l, "saisi par la clinique", "entered by the clinic"),
        "sms_stop" or "sms_start" => T(l, "réponse par SMS", "text message reply"),
        "provider_unsubscribe" or "spam_complaint" => T(l, "via votre messagerie", "through your mailbox"),
        _ => source,
    };

    public static string WordingDetails(UnsubscribeLocale l, ConsentEventView e, ConsentWording? known)
    {
        var text = known is null
            ? $"<p class=\"note\">{E(T(l, "Texte conservé par la clinique sous la version ", "Wording kept by the clinic as version "))}{E(e.WordingVersion ?? "?")}.</p>"
            : $"<blockquote>{E(known.Text)}</blockquote>";
        return $"""
            <details>
            <summary>{E(T(l, "Texte accepté", "Wording agreed to"))} ({E(e.WordingVersion ?? "?")})</summary>
            {text}
            <p class="hash">SHA-256 {E(e.WordingSha256?.ToLowerInvariant() ?? "?")}</p>
            </details>

            """;
    }

    public static string ReceiptLinks(UnsubscribeLocale l, string token) => $"""
        <p><a href="/p/{E(token)}/receipt?lang={LocaleName(l)}" download="receipt.html">{E(T(l, "Télécharger le reçu (HTML, imprimable)", "Download the receipt (HTML, printable)"))}</a><br>
        <a href="/p/{E(token)}/receipt.json?lang={LocaleName(l)}" download="receipt.json">{E(T(l, "Télécharger le reçu (JSON)", "Download the receipt (JSON)"))}</a></p>
        """;

    public static string Grant(UnsubscribeLocale l, string token, ClinicBrand brand, ConsentItem item, ConsentWording wording, FormToken form, string? from, string? alert)
    {
        var path = $"/p/{token}/grant/{item.Key}";
        var email = item.Channel == Channel.Email;
        var body = new StringBuilder();
        body.Append($"<h1>{E(ItemTitle(l, item))}</h1>\n");
        if (alert is not null)
        {
            body.Append($"<div class=\"alert\" role=\"alert\"><p>{E(alert)}</p></div>\n");
        }

        body.Append($"<p>{E(T(l, "Lisez le texte ci-dessous. Cochez la case seulement si vous êtes d'accord.", "Read the text below. Tick the box only if you agree."))}</p>\n");
        body.Append($"""
            <form method="post" action="{E(path)}?lang={LocaleName(l)}{(from is null ? "" : "&amp;from=" + E(from))}">
            {form.Field}
            <input type="hidden" name="wording_version" value="{E(wording.Version)}">
            <input type="hidden" name="wording_sha256" value="{E(wording.Sha256)}">
            <div class="check"><input type="checkbox" id="agree" name="agree" value="yes"><label for="agree">{E(wording.Text)}</label></div>
            <p class="hash">{E(T(l, "Version du texte : ", "Wording version: "))}{E(wording.Version)}</p>
            {(email ? $"<p class=\"note\">{E(T(l, "Nous enverrons un lien de confirmation à l'adresse e-mail que la clinique a enregistrée : l'accord ne sera actif qu'après votre confirmation.", "We will send a confirmation link to the email address the clinic has on record: your consent only takes effect once you confirm."))}</p>" : "")}
            <button type="submit">{E(T(l, "Enregistrer mon accord", "Save my consent"))}</button>
            </form>
            <p><a href="/p/{E(token)}?lang={LocaleName(l)}">{E(T(l, "Retour à mes choix", "Back to my choices"))}</a></p>
            """);
        return Layout(l, brand, ItemTitle(l, item), body.ToString(), path);
    }

    public static string ConfirmPrompt(UnsubscribeLocale l, string code, ClinicBrand brand, ConsentWording? wording, FormToken form)
    {
        var body = $"""
            <h1>{E(T(l, "Confirmer mon inscription", "Confirm my subscription"))}</h1>
            <p>{E(T(l, $"Vous avez demandé à recevoir par e-mail les actualités et offres de {brand.Name}.", $"You asked to receive {brand.Name}'s news and offers by email."))}</p>
            {(wording is null ? "" : $"<blockquote>{E(wording.Text)}</blockquote>")}
            <form method="post" action="/p/confirm/{E(code)}">
            {form.Field}
            <button type="submit">{E(T(l, "Confirmer", "Confirm"))}</button>
            </form>
            <p class="note">{E(T(l, "Si ce n'est pas vous, fermez cette page : rien ne sera enregistré.", "If this was not you, close this page: nothing will be recorded."))}</p>
            """;
        return Layout(l, brand, T(l, "Confirmer mon inscription", "Confirm my subscription"), body);
    }

    public static string Confirmed(UnsubscribeLocale l, ClinicBrand brand, bool confirmedNow)
    {
        var text = confirmedNow
            ? T(l, $"C'est confirmé : vous recevrez les actualités et offres de {brand.Name} par e-mail. Chaque e-mail contient un lien pour changer d'avis.",
                $"Confirmed: you will receive {brand.Name}'s news and offers by email. Every email carries a link to change your mind.")
            : T(l, "Ce lien de confirmation a déjà servi ou a expiré : rien n'a changé. Vous pouvez refaire la demande depuis le lien « Gérer mes préférences » d'un de nos messages.",
                "This confirmation link was already used or has expired: nothing changed. You can ask again from the \"Manage my preferences\" link in one of our messages.");
        var body = $"""
            <div role="status">
            <h1>{E(confirmedNow ? T(l, "Inscription confirmée", "Subscription confirmed") : T(l, "Lien déjà utilisé ou expiré", "Link already used or expired"))}</h1>
            <p>{E(text)}</p>
            </div>
            """;
        return Layout(l, brand, confirmedNow ? T(l, "Inscription confirmée", "Subscription confirmed") : T(l, "Lien déjà utilisé ou expiré", "Link already used or expired"), body);
    }

    public static string InvalidConfirmation(UnsubscribeLocale l) => Layout(l, null, T(l, "Lien non valide", "Invalid link"), $"""
        <h1>{E(T(l, "Lien non valide", "Invalid link"))}</h1>
        <p>{E(T(l, "Ce lien de confirmation n'est pas valide. Vous pouvez refaire la demande depuis le lien « Gérer mes préférences » d'un message de votre clinique.",
            "This confirmation link is not valid. You can ask again from the \"Manage my preferences\" link in a message from your clinic."))}</p>
        """);

    public static string LocaleName(UnsubscribeLocale l) => PreferenceCentre.LocaleName(l);
}

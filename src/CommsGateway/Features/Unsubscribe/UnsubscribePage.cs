using CommsGateway.Contracts;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Preferences;
using static CommsGateway.Features.Preferences.PatientPage;

namespace CommsGateway.Features.Unsubscribe;

/// <summary>
/// The unsubscribe pages: static, accessible HTML in the clinic's colours (no script, no cookie: the buttons post to
/// the same URL as RFC 8058's one-click). Undo and "my choices" are links to the preference centre, which holds the forms.
/// </summary>
internal static class UnsubscribePage
{
    public static string Choice(UnsubscribeLocale locale, ClinicBrand brand, string token, Channel channel)
    {
        var l = locale;
        var channelName = ConsentWordings.ChannelName(channel, locale);
        var title = T(l, "Se désinscrire", "Unsubscribe");
        var intro = T(l,
            $"Vous ne souhaitez plus recevoir les messages commerciaux de <strong>{E(brand.Name)}</strong> ?",
            $"Don't want marketing messages from <strong>{E(brand.Name)}</strong> any more?");
        var note = T(l, "Les messages liés à vos rendez-vous et à vos soins continueront de vous parvenir.",
            "Messages about your appointments and care will still reach you.");
        var thisChannel = T(l, $"Ne plus recevoir d'offres par {channelName}", $"Stop marketing by {channelName}");
        var all = T(l, "Ne plus recevoir aucune offre (e-mail, SMS, WhatsApp)", "Stop all marketing (email, SMS, WhatsApp)");
        var body = $"""
            <h1>{E(title)}</h1>
            <p>{intro}</p>
            <form method="post" class="choice">
              <button type="submit" name="scope" value="channel">{E(thisChannel)}</button>
              <button type="submit" name="scope" value="all" class="secondary">{E(all)}</button>
            </form>
            <p class="note">{E(note)}</p>
            <p><a href="/p/{E(token)}">{E(T(l, "Gérer toutes mes préférences (canaux, photos, reçu)", "Manage all my preferences (channels, photos, receipt)"))}</a></p>
            """;
        return Layout(locale, brand, title, body);
    }

    public static string Confirmation(UnsubscribeLocale locale, ClinicBrand brand, string token, Channel channel, UnsubscribeScope scope)
    {
        var l = locale;
        var title = T(l, "Désinscription confirmée", "You are unsubscribed");
        var channelName = ConsentWordings.ChannelName(channel, locale);
        var what = scope == UnsubscribeScope.AllMarketing
            ? T(l, "aucun message commercial", "no marketing messages")
            : T(l, $"plus de messages commerciaux par {channelName}", $"no more marketing by {channelName}");
        var text = T(l,
            $"C'est fait : vous ne recevrez {E(what)} de <strong>{E(brand.Name)}</strong>. Cela prend effet immédiatement.",
            $"Done: you will receive {E(what)} from <strong>{E(brand.Name)}</strong>. This takes effect immediately.");
        // Undo is a fresh, affirmative grant: it shows the exact wording to tick (and, for email, asks for a confirmation).
        var undo = scope == UnsubscribeScope.AllMarketing
            ? $"/p/{E(token)}"
            : $"/p/{E(token)}/grant/marketing.{ChannelKey(channel)}?from=undo";
        var body = $"""
            <div role="status">
            <h1 id="confirmation">{E(title)}</h1>
            <p>{text}</p>
            </div>
            <p><a class="button secondary" href="{undo}">{E(T(l, "Annuler : continuer à recevoir les offres", "Undo: keep receiving offers"))}</a></p>
            <p><a href="/p/{E(token)}">{E(T(l, "Voir et gérer tous mes choix", "See and manage all my choices"))}</a></p>
            """;
        return Layout(locale, brand, title, body);
    }

    /// <summary>A link already used (or a channel withdrawn another way): its current state, not the same prompt.</summary>
    public static string AlreadyWithdrawn(UnsubscribeLocale locale, ClinicBrand brand, string token, Channel channel, DateTimeOffset since)
    {
        var l = locale;
        var channelName = ConsentWordings.ChannelName(channel, locale);
        var title = T(l, "Vous êtes déjà désinscrit(e)", "You are already unsubscribed");
        var body = $"""
            <div role="status">
            <h1>{E(title)}</h1>
            <p>{E(T(l, $"Vous ne recevez plus d'offres de {brand.Name} par {channelName} depuis le {Date(l, since)}.",
                $"You have not received offers from {brand.Name} by {channelName} since {Date(l, since)}."))}</p>
            </div>
            <p><a class="button secondary" href="/p/{E(token)}/grant/marketing.{ChannelKey(channel)}?from=undo">{E(T(l, "Recevoir à nouveau les offres par " + channelName, "Receive offers by " + channelName + " again"))}</a></p>
            <p><a href="/p/{E(token)}">{E(T(l, "Voir et gérer tous mes choix", "See and manage all my choices"))}</a></p>
            """;
        return Layout(locale, brand, title, body);
    }

    /// <summary>The same page for every forged or unknown link: nothing tells whether a patient or clinic exists.</summary>
    public static string Invalid(UnsubscribeLocale locale)
    {
        var l = locale;
        var title = T(l, "Lien non valide", "Invalid link");
        var body = $"""
            <h1>{E(title)}</h1>
            <p>{E(T(l, "Ce lien de désinscription n'est pas valide. Rien n'a changé.", "This unsubscribe link is not valid. Nothing changed."))}</p>
            <ul>
            <li>{E(T(l, "E-mail : utilisez le lien en bas d'un e-mail plus récent de votre clinique.", "Email: use the link at the bottom of a more recent email from your clinic."))}</li>
            <li>{E(T(l, "SMS ou WhatsApp : répondez STOP au dernier message reçu.", "Text message or WhatsApp: reply STOP to the last message you received."))}</li>
            <li>{E(T(l, "Ou contactez directement votre clinique.", "Or contact your clinic directly."))}</li>
            </ul>
            """;
        return Layout(locale, null, title, body);
    }

    private static string ChannelKey(Channel channel) => Core.Consent.ConsentNames.Name(channel);
}

using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Rendering;

/// <summary>
/// Footer wording per language. SMS wording stays inside the GSM-7 alphabet (é and à are in it, ê and ç are not)
/// so a GSM-7 body does not turn UCS-2 and halve its capacity because of the footer.
/// </summary>
internal static class FooterTexts
{
    public static string SmsStop(UnsubscribeLocale locale) => locale == UnsubscribeLocale.Fr
        ? "Répondez STOP pour ne plus recevoir"
        : "Reply STOP to opt out";

    public static string WhatsAppStop(UnsubscribeLocale locale) => locale == UnsubscribeLocale.Fr
        ? "Répondez STOP pour ne plus recevoir ces messages. Se désinscrire :"
        : "Reply STOP to opt out. Unsubscribe:";

    public static string EmailReason(UnsubscribeLocale locale, string? clinic) => locale == UnsubscribeLocale.Fr
        ? clinic is null
            ? "Vous recevez cet e-mail car vous avez accepté de recevoir nos actualités et offres."
            : $"Vous recevez cet e-mail de {clinic} car vous avez accepté de recevoir ses actualités et offres."
        : clinic is null
            ? "You receive this email because you agreed to receive our news and offers."
            : $"You receive this email from {clinic} because you agreed to receive its news and offers.";

    public static string EmailLink(UnsubscribeLocale locale) => locale == UnsubscribeLocale.Fr
        ? "Se désinscrire"
        : "Unsubscribe";

    public static string EmailPreferences(UnsubscribeLocale locale) => locale == UnsubscribeLocale.Fr
        ? "Gérer mes préférences"
        : "Manage my preferences";

    /// <summary>French puts a space before the colon (a plain one: the no-break space is not GSM-7).</summary>
    public static string Colon(UnsubscribeLocale locale) => locale == UnsubscribeLocale.Fr ? " : " : ": ";
}

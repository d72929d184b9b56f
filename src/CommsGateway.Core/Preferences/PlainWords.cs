using CommsGateway.Core.Decisions;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Preferences;

/// <summary>
/// The decision log's stable codes in words a patient reads (access report, GDPR art. 15 and 12(1): "concise,
/// intelligible ... clear and plain language"); reasons come from <see cref="ReasonWords"/>, shared with the console.
/// An unknown code is shown as it is rather than guessed at.
/// </summary>
public static class PlainWords
{
    public static string Outcome(string outcome, UnsubscribeLocale l) => (outcome, l == UnsubscribeLocale.Fr) switch
    {
        ("Sent", true) => "Envoyé",
        ("Sent", false) => "Sent",
        ("SentWithMarketingRemoved", true) => "Envoyé, sans la partie publicitaire",
        ("SentWithMarketingRemoved", false) => "Sent, without its advertising part",
        ("Blocked", true) => "Non envoyé",
        ("Blocked", false) => "Not sent",
        ("Deferred", true) => "Reporté",
        ("Deferred", false) => "Postponed",
        ("Held", true) => "En attente de vérification par la clinique",
        ("Held", false) => "Waiting for the clinic to check it",
        ("Duplicate", true) => "Doublon ignoré",
        ("Duplicate", false) => "Duplicate, ignored",
        ("Rejected", true) => "Refusé (message mal formé)",
        ("Rejected", false) => "Refused (malformed message)",
        ("Failed", true) => "Échec de l'envoi",
        ("Failed", false) => "Sending failed",
        _ => outcome,
    };

    public static string Reason(string code, UnsubscribeLocale l) => ReasonWords.Of(code, Audience.Patient, l == UnsubscribeLocale.Fr);

    public static string Channel(string channel, UnsubscribeLocale l) => channel switch
    {
        "email" => l == UnsubscribeLocale.Fr ? "e-mail" : "email",
        "sms" => "SMS",
        "whatsapp" => "WhatsApp",
        _ => channel,
    };

    public static string Purpose(string purpose, UnsubscribeLocale l) => (purpose, l == UnsubscribeLocale.Fr) switch
    {
        ("marketing" or "Marketing", true) => "offres et actualités",
        ("marketing" or "Marketing", false) => "offers and news",
        ("service" or "Service", true) => "soins et rendez-vous",
        ("service" or "Service", false) => "care and appointments",
        ("photo_marketing", true) => "photos avant/après",
        ("photo_marketing", false) => "before/after photos",
        _ => purpose,
    };
}

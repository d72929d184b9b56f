using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Preferences;

/// <summary>
/// The decision log's stable codes in words a patient reads (access report, GDPR art. 15 and 12(1): "concise,
/// intelligible ... clear and plain language"). An unknown code is shown as it is rather than guessed at.
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

    public static string Reason(string code, UnsubscribeLocale l)
    {
        var fr = l == UnsubscribeLocale.Fr;
        return code switch
        {
            ReasonCodes.ServiceMessage => fr ? "message lié à vos soins ou rendez-vous" : "a message about your care or appointments",
            ReasonCodes.MarketingConsentGranted => fr ? "message commercial : vous aviez donné votre accord pour ce canal" : "marketing: you had agreed to it on this channel",
            ReasonCodes.NoMarketingConsent => fr ? "message commercial sans votre accord pour ce canal" : "marketing without your consent on this channel",
            ReasonCodes.ConsentLapsed => fr ? "votre accord était trop ancien (sans contact avec la clinique depuis longtemps)" : "your consent was too old (no contact with the clinic for a long time)",
            ReasonCodes.MarketingInServiceMessage => fr ? "une publicité glissée dans un message de service" : "advertising slipped into a service message",
            ReasonCodes.MarketingBlocksRemoved => fr ? "la partie publicitaire a été retirée" : "the advertising part was removed",
            ReasonCodes.ChannelRefused => fr ? "vous aviez refusé ce canal" : "you had refused this channel",
            ReasonCodes.Suppressed => fr ? "adresse bloquée (rejet, plainte ou désinscription chez l'opérateur)" : "address blocked (bounce, complaint or carrier opt-out)",
            ReasonCodes.RecipientMismatch => fr ? "l'adresse ne correspondait pas à celle enregistrée" : "the address did not match the one on record",
            ReasonCodes.NoContactPoint => fr ? "aucune adresse enregistrée pour ce canal" : "no address on record for this channel",
            ReasonCodes.Expired => fr ? "le message était périmé" : "the message was out of date",
            ReasonCodes.NotYetDue => fr ? "pas encore l'heure prévue" : "not yet due",
            ReasonCodes.QuietHours => fr ? "en dehors des heures autorisées" : "outside the allowed hours",
            ReasonCodes.FrequencyCap => fr ? "trop de messages commerciaux cette semaine" : "too many marketing messages this week",
            ReasonCodes.PhotoConsentMissing => fr ? "une photo de patient sans son accord" : "a patient's photo without their consent",
            ReasonCodes.CampaignCancelled => fr ? "campagne annulée" : "campaign cancelled",
            ReasonCodes.FooterExceedsLimit => fr ? "trop long avec le lien de désinscription" : "too long with the unsubscribe link",
            ReasonCodes.TemplateLacksUnsubscribe => fr ? "modèle sans moyen de se désinscrire" : "template without a way to unsubscribe",
            ReasonCodes.WhatsAppWindowClosed or ReasonCodes.WhatsAppOutsideWindow => fr ? "hors de la fenêtre de réponse WhatsApp" : "outside the WhatsApp reply window",
            ReasonCodes.NoSenderIdentity => fr ? "la clinique n'avait pas d'expéditeur pour ce canal" : "the clinic had no sender for this channel",
            ReasonCodes.ClassificationUncertain => fr ? "service ou publicité ? une personne de la clinique devait trancher" : "service or advertising? a person at the clinic had to decide",
            ReasonCodes.ReviewTimedOut => fr ? "non vérifié à temps" : "not checked in time",
            ReasonCodes.ReviewedAsService => fr ? "vérifié par la clinique : message de service" : "checked by the clinic: a service message",
            ReasonCodes.ReviewedAsMarketing => fr ? "vérifié par la clinique : message commercial" : "checked by the clinic: marketing",
            ReasonCodes.TemplateVerdict => fr ? "modèle déjà vérifié par la clinique" : "template already checked by the clinic",
            ReasonCodes.HealthDetailsFlagged => fr ? "détails de santé signalés" : "health details flagged",
            ReasonCodes.DeclaredPurposeMismatch => fr ? "présenté comme un message de service, mais publicitaire" : "presented as service, but advertising",
            ReasonCodes.DuplicateIntent => fr ? "déjà traité" : "already handled",
            ReasonCodes.ProviderRejected or ReasonCodes.InvalidRecipient => fr ? "refusé par l'opérateur" : "refused by the carrier",
            ReasonCodes.ProviderUnavailable => fr ? "opérateur indisponible" : "carrier unavailable",
            ReasonCodes.RecipientOptedOut => fr ? "vous vous étiez désinscrit(e) chez l'opérateur" : "you had opted out at the carrier",
            ReasonCodes.UnknownTenant => fr ? "clinique inconnue" : "unknown clinic",
            ReasonCodes.MalformedMessage or ReasonCodes.MissingField or ReasonCodes.InvalidField or ReasonCodes.UnknownChannel or ReasonCodes.BodyTooLarge
                => fr ? "message mal formé" : "malformed message",
            _ => code,
        };
    }

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

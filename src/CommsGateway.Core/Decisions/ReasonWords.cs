using System.Collections.Frozen;
using CommsGateway.Contracts;

namespace CommsGateway.Core.Decisions;

/// <summary>Who reads a reason in words: the patient (their access report) or the clinic's staff (the console).</summary>
public enum Audience
{
    Patient,
    Staff,
}

/// <summary>
/// The decision log's stable reason codes in plain words, one row per code: for the patient (GDPR art. 12(1):
/// "concise, intelligible ... clear and plain language") and for the clinic's staff (what happened and why), each in
/// French and English. A code without words for an audience is shown as it is rather than guessed at.
/// </summary>
public static class ReasonWords
{
    public static string Of(string code, Audience audience, bool french) =>
        Table.TryGetValue(code, out var words) && words.For(audience, french) is { } text ? text : code;

    private sealed record Words(string PatientFr, string PatientEn, string? StaffFr = null, string? StaffEn = null)
    {
        public string? For(Audience audience, bool french) => (audience, french) switch
        {
            (Audience.Patient, true) => PatientFr,
            (Audience.Patient, false) => PatientEn,
            (_, true) => StaffFr,
            _ => StaffEn,
        };
    }
    private const string MalformedFr = "message mal formé";
    private const string MalformedEn = "malformed message";
    private const string OutsideWhatsAppWindowFr = "hors de la fenêtre de réponse WhatsApp";
    private const string OutsideWhatsAppWindowEn = "outside the WhatsApp reply window";
    private const string RefusedByCarrierFr = "refusé par l'opérateur";
    private const string RefusedByCarrierEn = "refused by the carrier";

    private static readonly FrozenDictionary<string, Words> Table = new Dictionary<string, Words>(StringComparer.Ordinal)
    {
        [ReasonCodes.MalformedMessage] = new(MalformedFr, MalformedEn),
        [ReasonCodes.MissingField] = new(MalformedFr, MalformedEn),
        [ReasonCodes.UnknownChannel] = new(MalformedFr, MalformedEn),
        [ReasonCodes.BodyTooLarge] = new(MalformedFr, MalformedEn),
        [ReasonCodes.InvalidField] = new(MalformedFr, MalformedEn),
        [ReasonCodes.UnknownTenant] = new(
            "clinique inconnue",
            "unknown clinic",
            "Clinique inconnue.",
            "Unknown clinic."),
        [ReasonCodes.NoMarketingConsent] = new(
            "message commercial sans votre accord pour ce canal",
            "marketing without your consent on this channel",
            "Le patient n'a pas (ou plus) donné son accord pour recevoir des offres sur ce canal.",
            "The patient has not agreed (or no longer agrees) to receive marketing on this channel."),
        [ReasonCodes.ConsentLapsed] = new(
            "votre accord était trop ancien (sans contact avec la clinique depuis longtemps)",
            "your consent was too old (no contact with the clinic for a long time)",
            "L'accord marketing du patient est trop ancien sans contact depuis : il a expiré.",
            "The patient's marketing consent is too old without any contact since: it lapsed."),
        [ReasonCodes.MarketingInServiceMessage] = new(
            "une publicité glissée dans un message de service",
            "advertising slipped into a service message",
            "Un message présenté comme un rappel contenait une promotion ; le patient n'a pas accepté les offres.",
            "A message presented as a reminder contained a promotion; the patient has not agreed to marketing."),
        [ReasonCodes.MarketingBlocksRemoved] = new(
            "la partie publicitaire a été retirée",
            "the advertising part was removed",
            "Les blocs promotionnels ont été retirés ; seul le message de service est parti.",
            "The promotional blocks were removed; only the service message went out."),
        [ReasonCodes.ChannelRefused] = new(
            "vous aviez refusé ce canal",
            "you had refused this channel",
            "Le patient a refusé ce canal, même pour les messages de service.",
            "The patient refused this channel, even for service messages."),
        [ReasonCodes.Suppressed] = new(
            "adresse bloquée (rejet, plainte ou désinscription chez l'opérateur)",
            "address blocked (bounce, complaint or carrier opt-out)",
            "L'adresse est bloquée (désinscription, rebond, plainte ou effacement).",
            "The address is suppressed (unsubscribe, bounce, complaint or erasure)."),
        [ReasonCodes.RecipientMismatch] = new(
            "l'adresse ne correspondait pas à celle enregistrée",
            "the address did not match the one on record",
            "Le destinataire demandé n'est pas l'adresse enregistrée du patient.",
            "The requested recipient is not the patient's address on record."),
        [ReasonCodes.NoContactPoint] = new(
            "aucune adresse enregistrée pour ce canal",
            "no address on record for this channel",
            "Aucune adresse enregistrée pour ce canal.",
            "No address on record for this channel."),
        [ReasonCodes.Expired] = new(
            "le message était périmé",
            "the message was out of date",
            "Le message a expiré avant de pouvoir partir.",
            "The message expired before it could go."),
        [ReasonCodes.NotYetDue] = new(
            "pas encore l'heure prévue",
            "not yet due",
            "Le message n'est pas encore dû ; il attend son heure.",
            "The message is not due yet; it waits for its time."),
        [ReasonCodes.QuietHours] = new(
            "en dehors des heures autorisées",
            "outside the allowed hours",
            "Hors des heures autorisées pour le marketing ; reporté.",
            "Outside the hours allowed for marketing; deferred."),
        [ReasonCodes.FrequencyCap] = new(
            "trop de messages commerciaux cette semaine",
            "too many marketing messages this week",
            "Le patient a déjà reçu le maximum d'offres pour 7 jours.",
            "The patient already received the most marketing allowed in 7 days."),
        [ReasonCodes.PhotoConsentMissing] = new(
            "une photo de patient sans son accord",
            "a patient's photo without their consent",
            "Une photo d'un patient est utilisée sans son accord pour cet emplacement.",
            "A patient's photo is used without their consent for this placement."),
        [ReasonCodes.CampaignCancelled] = new(
            "campagne annulée",
            "campaign cancelled",
            "La campagne a été annulée.",
            "The campaign was cancelled."),
        [ReasonCodes.FooterExceedsLimit] = new(
            "trop long avec le lien de désinscription",
            "too long with the unsubscribe link",
            "Le lien de désinscription ne tenait pas dans le message.",
            "The unsubscribe means did not fit in the message."),
        [ReasonCodes.TemplateLacksUnsubscribe] = new("modèle sans moyen de se désinscrire", "template without a way to unsubscribe"),
        [ReasonCodes.WhatsAppWindowClosed] = new(
            OutsideWhatsAppWindowFr,
            OutsideWhatsAppWindowEn,
            "Hors de la fenêtre WhatsApp de 24 h, sans modèle approuvé.",
            "Outside WhatsApp's 24-hour window, without an approved template."),
        [ReasonCodes.NoSenderIdentity] = new(
            "la clinique n'avait pas d'expéditeur pour ce canal",
            "the clinic had no sender for this channel",
            "La clinique n'a pas d'identité d'expéditeur pour ce canal.",
            "The clinic has no sender identity for this channel."),
        [ReasonCodes.ClassificationUncertain] = new(
            "service ou publicité ? une personne de la clinique devait trancher",
            "service or advertising? a person at the clinic had to decide",
            "Le classifieur n'a pas su dire si c'était du service ou du marketing : une personne doit trancher.",
            "The classifier could not tell service from marketing: a person decides."),
        [ReasonCodes.ReviewTimedOut] = new(
            "non vérifié à temps",
            "not checked in time",
            "Personne n'a relu le message à temps.",
            "Nobody reviewed the message in time."),
        [ReasonCodes.ReviewedAsService] = new(
            "vérifié par la clinique : message de service",
            "checked by the clinic: a service message",
            "Une personne de la clinique l'a jugé message de service.",
            "A person at the clinic judged it a service message."),
        [ReasonCodes.ReviewedAsMarketing] = new(
            "vérifié par la clinique : message commercial",
            "checked by the clinic: marketing",
            "Une personne de la clinique l'a jugé marketing.",
            "A person at the clinic judged it marketing."),
        [ReasonCodes.TemplateVerdict] = new(
            "modèle déjà vérifié par la clinique",
            "template already checked by the clinic",
            "Le même modèle de message avait déjà été jugé par une personne.",
            "A person had already judged the same message template."),
        [ReasonCodes.HealthDetailsFlagged] = new(
            "détails de santé signalés",
            "health details flagged",
            "Le texte semble contenir des détails de santé.",
            "The text seems to hold health details."),
        [ReasonCodes.DeclaredPurposeMismatch] = new(
            "présenté comme un message de service, mais publicitaire",
            "presented as service, but advertising",
            "Le producteur l'annonçait autrement que son contenu.",
            "The producer declared it otherwise than its content."),
        [ReasonCodes.ServiceMessage] = new(
            "message lié à vos soins ou rendez-vous",
            "a message about your care or appointments",
            "Message de service (rendez-vous, soins) : pas besoin d'accord marketing.",
            "A service message (appointment, care): no marketing consent needed."),
        [ReasonCodes.MarketingConsentGranted] = new(
            "message commercial : vous aviez donné votre accord pour ce canal",
            "marketing: you had agreed to it on this channel",
            "Le patient a accepté les offres sur ce canal (accord cité ci-dessous).",
            "The patient agreed to marketing on this channel (consent cited below)."),
        [ReasonCodes.DuplicateIntent] = new(
            "déjà traité",
            "already handled",
            "Ce message avait déjà été décidé ; rien n'est envoyé deux fois.",
            "This message was already decided; nothing is sent twice."),
        [ReasonCodes.IntentIdReused] = new(
            "identifiant déjà utilisé pour un autre message",
            "id already used for another message",
            "Le système émetteur a réutilisé l'identifiant d'un message déjà décidé pour un autre contenu : celui-ci n'est pas envoyé. Il doit publier un nouvel identifiant.",
            "The producing system reused the id of a message already decided, for other content: this one is not sent. It must publish a new id."),
        [ReasonCodes.ProviderRejected] = new(RefusedByCarrierFr, RefusedByCarrierEn),
        [ReasonCodes.ProviderUnavailable] = new("opérateur indisponible", "carrier unavailable"),
        [ReasonCodes.RecipientOptedOut] = new("vous vous étiez désinscrit(e) chez l'opérateur", "you had opted out at the carrier"),
        [ReasonCodes.InvalidRecipient] = new(RefusedByCarrierFr, RefusedByCarrierEn),
        [ReasonCodes.WhatsAppOutsideWindow] = new(OutsideWhatsAppWindowFr, OutsideWhatsAppWindowEn),
    }.ToFrozenDictionary(StringComparer.Ordinal);
}

using CommsGateway.Contracts;

namespace CommsGateway.Features.Console;

/// <summary>
/// The console's language (French or English: ?lang= chosen once and remembered in a cookie, else the browser's
/// Accept-Language) and the plain-words sentences of decisions (reason codes stay the stored, stable values).
/// </summary>
public static class ConsoleText
{
    public const string LanguageCookie = "commsgw-lang";

    public static string Resolve(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var chosen = http.Request.Query["lang"].ToString();
        if (chosen is "fr" or "en")
        {
            return chosen;
        }

        if (http.Request.Cookies.TryGetValue(LanguageCookie, out var cookie) && cookie is "fr" or "en")
        {
            return cookie;
        }

        var accept = http.Request.GetTypedHeaders().AcceptLanguage;
        var best = accept.OrderByDescending(l => l.Quality ?? 1).Select(l => l.Value.Value ?? "").FirstOrDefault(l => l.Length >= 2);
        return best is not null && best.StartsWith("fr", StringComparison.OrdinalIgnoreCase) ? "fr" : "en";
    }

    /// <summary>Keeps a language chosen with ?lang= for the next pages.</summary>
    public static void Remember(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var chosen = http.Request.Query["lang"].ToString();
        if (chosen is "fr" or "en")
        {
            http.Response.Cookies.Append(LanguageCookie, chosen, new CookieOptions
            {
                Path = "/console", HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, MaxAge = TimeSpan.FromDays(365),
            });
        }
    }

    /// <summary>"c•••@example.org": enough to confirm an address with the patient, not to write to it.</summary>
    public static string MaskEmail(string? email)
    {
        if (string.IsNullOrEmpty(email))
        {
            return "";
        }

        var at = email.IndexOf('@', StringComparison.Ordinal);
        return at <= 0 ? "•••" : email[0] + "•••" + email[at..];
    }

    /// <summary>"+33 •• •• •• 78": the last two digits only.</summary>
    public static string MaskPhone(string? phone) =>
        string.IsNullOrEmpty(phone) ? "" : phone.Length <= 4 ? "•••" : phone[..3] + " •• •• •• " + phone[^2..];

    /// <summary>The reason as a sentence a patient or a DPO understands.</summary>
    public static string Reason(string code, bool fr) => code switch
    {
        ReasonCodes.NoMarketingConsent => fr ? "Le patient n'a pas (ou plus) donné son accord pour recevoir des offres sur ce canal." : "The patient has not agreed (or no longer agrees) to receive marketing on this channel.",
        ReasonCodes.ConsentLapsed => fr ? "L'accord marketing du patient est trop ancien sans contact depuis : il a expiré." : "The patient's marketing consent is too old without any contact since: it lapsed.",
        ReasonCodes.MarketingInServiceMessage => fr ? "Un message présenté comme un rappel contenait une promotion ; le patient n'a pas accepté les offres." : "A message presented as a reminder contained a promotion; the patient has not agreed to marketing.",
        ReasonCodes.MarketingBlocksRemoved => fr ? "Les blocs promotionnels ont été retirés ; seul le message de service est parti." : "The promotional blocks were removed; only the service message went out.",
        ReasonCodes.ChannelRefused => fr ? "Le patient a refusé ce canal, même pour les messages de service." : "The patient refused this channel, even for service messages.",
        ReasonCodes.Suppressed => fr ? "L'adresse est bloquée (désinscription, rebond, plainte ou effacement)." : "The address is suppressed (unsubscribe, bounce, complaint or erasure).",
        ReasonCodes.RecipientMismatch => fr ? "Le destinataire demandé n'est pas l'adresse enregistrée du patient." : "The requested recipient is not the patient's address on record.",
        ReasonCodes.NoContactPoint => fr ? "Aucune adresse enregistrée pour ce canal." : "No address on record for this channel.",
        ReasonCodes.Expired => fr ? "Le message a expiré avant de pouvoir partir." : "The message expired before it could go.",
        ReasonCodes.NotYetDue => fr ? "Le message n'est pas encore dû ; il attend son heure." : "The message is not due yet; it waits for its time.",
        ReasonCodes.QuietHours => fr ? "Hors des heures autorisées pour le marketing ; reporté." : "Outside the hours allowed for marketing; deferred.",
        ReasonCodes.FrequencyCap => fr ? "Le patient a déjà reçu le maximum d'offres pour 7 jours." : "The patient already received the most marketing allowed in 7 days.",
        ReasonCodes.PhotoConsentMissing => fr ? "Une photo d'un patient est utilisée sans son accord pour cet emplacement." : "A patient's photo is used without their consent for this placement.",
        ReasonCodes.CampaignCancelled => fr ? "La campagne a été annulée." : "The campaign was cancelled.",
        ReasonCodes.FooterExceedsLimit => fr ? "Le lien de désinscription ne tenait pas dans le message." : "The unsubscribe means did not fit in the message.",
        ReasonCodes.WhatsAppWindowClosed => fr ? "Hors de la fenêtre WhatsApp de 24 h, sans modèle approuvé." : "Outside WhatsApp's 24-hour window, without an approved template.",
        ReasonCodes.NoSenderIdentity => fr ? "La clinique n'a pas d'identité d'expéditeur pour ce canal." : "The clinic has no sender identity for this channel.",
        ReasonCodes.ClassificationUncertain => fr ? "Le classifieur n'a pas su dire si c'était du service ou du marketing : une personne doit trancher." : "The classifier could not tell service from marketing: a person decides.",
        ReasonCodes.ReviewTimedOut => fr ? "Personne n'a relu le message à temps." : "Nobody reviewed the message in time.",
        ReasonCodes.ReviewedAsService => fr ? "Une personne de la clinique l'a jugé message de service." : "A person at the clinic judged it a service message.",
        ReasonCodes.ReviewedAsMarketing => fr ? "Une personne de la clinique l'a jugé marketing." : "A person at the clinic judged it marketing.",
        ReasonCodes.TemplateVerdict => fr ? "Le même modèle de message avait déjà été jugé par une personne." : "A person had already judged the same message template.",
        ReasonCodes.ServiceMessage => fr ? "Message de service (rendez-vous, soins) : pas besoin d'accord marketing." : "A service message (appointment, care): no marketing consent needed.",
        ReasonCodes.MarketingConsentGranted => fr ? "Le patient a accepté les offres sur ce canal (accord cité ci-dessous)." : "The patient agreed to marketing on this channel (consent cited below).",
        ReasonCodes.DuplicateIntent => fr ? "Ce message avait déjà été décidé ; rien n'est envoyé deux fois." : "This message was already decided; nothing is sent twice.",
        ReasonCodes.UnknownTenant => fr ? "Clinique inconnue." : "Unknown clinic.",
        ReasonCodes.DeclaredPurposeMismatch => fr ? "Le producteur l'annonçait autrement que son contenu." : "The producer declared it otherwise than its content.",
        ReasonCodes.HealthDetailsFlagged => fr ? "Le texte semble contenir des détails de santé." : "The text seems to hold health details.",
        _ => code,
    };
}

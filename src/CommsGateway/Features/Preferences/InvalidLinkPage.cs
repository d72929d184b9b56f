using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Unsubscribe;
using Microsoft.AspNetCore.Http.HttpResults;
using static CommsGateway.Features.Preferences.PatientPage;

namespace CommsGateway.Features.Preferences;

/// <summary>
/// What a patient sees for a link that does not work. An authentic but expired link still names its clinic and
/// channel: the page says what to do next on that channel and gives the clinic's contact. Anything else (forged,
/// altered, unknown) gets one neutral page that tells nothing about any patient or clinic.
/// </summary>
internal static class InvalidLinkPage
{
    public static async Task<ContentHttpResult> ResultAsync(TokenVerification verification, HttpRequest request, PreferenceCentre centre)
    {
        if (verification.ExpiredClaims is { } expired)
        {
            var locale = PreferencesFeature.LocaleOf(request, expired.Locale);
            var brand = await centre.BrandAsync(expired.TenantId, request.HttpContext.RequestAborted);
            return TypedResults.Content(Expired(locale, brand, expired.Channel), Html, statusCode: StatusCodes.Status400BadRequest);
        }

        return TypedResults.Content(UnsubscribePage.Invalid(AcceptLocale(request)), Html, statusCode: StatusCodes.Status400BadRequest);
    }

    public static string Expired(UnsubscribeLocale l, Core.Preferences.ClinicBrand brand, Channel channel)
    {
        var next = channel switch
        {
            Channel.Sms => T(l, "Pour ne plus recevoir nos SMS, répondez STOP à notre dernier SMS : c'est gratuit et immédiat.",
                "To stop our text messages, reply STOP to our last text: it is free and immediate."),
            Channel.WhatsApp => T(l, "Pour ne plus recevoir nos messages WhatsApp, répondez STOP dans notre conversation WhatsApp.",
                "To stop our WhatsApp messages, reply STOP in our WhatsApp conversation."),
            _ => T(l, "Pour ne plus recevoir nos e-mails ou changer vos choix, utilisez le lien en bas d'un e-mail plus récent.",
                "To stop our emails or change your choices, use the link at the bottom of a more recent email."),
        };
        var contact = brand.Contact is { Length: > 0 } c
            ? T(l, $"Vous pouvez aussi contacter {brand.Name} : {c}.", $"You can also contact {brand.Name}: {c}.")
            : T(l, $"Vous pouvez aussi contacter {brand.Name} directement.", $"You can also contact {brand.Name} directly.");
        var body = $"""
            <h1>{E(T(l, "Ce lien a expiré", "This link has expired"))}</h1>
            <p>{E(T(l, "Pour votre sécurité, nos liens ne fonctionnent que pendant un an environ. Rien n'a changé dans vos choix.",
                "For your security our links only work for about a year. Nothing changed in your choices."))}</p>
            <p>{E(next)}</p>
            <p>{E(contact)}</p>
            """;
        return Layout(l, brand, T(l, "Lien expiré", "Link expired"), body);
    }

    /// <summary>With no valid token, the browser's first language decides between French and English.</summary>
    public static UnsubscribeLocale AcceptLocale(HttpRequest request) =>
        PreferencesFeature.LocaleOf(request, UnsubscribeLocales.From(request.GetTypedHeaders().AcceptLanguage
            .OrderByDescending(l => l.Quality ?? 1).FirstOrDefault()?.Value.Value));
}

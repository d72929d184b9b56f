using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.Hosting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CommsGateway.Features.Preferences;

/// <summary>
/// The patient's preference centre at /p/{token} (the same signed token as the unsubscribe link /u/{token}): see
/// every choice, withdraw in one action, grant again only by ticking the exact wording (email: double opt-in), and
/// download a receipt. GET never changes anything; every form carries an antiforgery token.
/// </summary>
public static class PreferencesFeature
{
    public static IHostApplicationBuilder AddPreferences(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAntiforgery();
        builder.Services.AddSingleton<ConfirmationMailer>();
        builder.Services.AddSingleton<PreferenceCentre>();
        builder.Services.AddSingleton<ReceiptMailer>();
        builder.Services.TryAddSingleton<CaptureFormLinks>();
        return builder.AddPreferenceAdmin();
    }

    /// <summary>What the CLI's database commands need of this feature: the clinic's look and its capture form's allowed origins.</summary>
    public static IHostApplicationBuilder AddPreferenceAdmin(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<ClinicBrands>();
        builder.Services.TryAddSingleton<CaptureFormOriginStore>();
        builder.Services.TryAddSingleton<WordingCatalogue>();
        builder.Services.TryAddSingleton<AccessReports>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPreferences(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapPatientPages("/p");
        group.MapGet("/{token}", ShowAsync);
        group.MapPost("/{token}/withdraw", WithdrawAsync).DisableAntiforgery();
        group.MapGet("/{token}/grant/{item}", GrantFormAsync);
        group.MapPost("/{token}/grant/{item}", GrantAsync).DisableAntiforgery();
        group.MapGet("/confirm/{code}", ConfirmFormAsync);
        group.MapPost("/confirm/{code}", ConfirmAsync).DisableAntiforgery();
        group.MapGet("/{token}/receipt", ReceiptHtmlAsync);
        group.MapGet("/{token}/receipt.json", ReceiptJsonAsync);
        endpoints.MapCaptureForm();
        return endpoints;
    }

    /// <summary>The valid token's claims and patient, or the page to answer instead.</summary>
    private sealed record Resolved(UnsubscribeClaims Claims, string PatientId, UnsubscribeLocale Locale);

    private static async Task<(Resolved? Ok, ContentHttpResult? Refusal)> ResolveAsync(string token, HttpRequest request,
        UnsubscribeTokens tokens, PreferenceCentre centre, TimeProvider clock)
    {
        var verification = tokens.Verify(token, clock.GetUtcNow());
        if (verification.Claims is not { } claims)
        {
            return (null, await InvalidLinkPage.ResultAsync(verification, request, centre));
        }

        var locale = LocaleOf(request, claims.Locale);
        var patientId = await centre.PatientOfAsync(claims, request.HttpContext.RequestAborted);
        if (patientId is null)
        {
            return (null, await InvalidLinkPage.ResultAsync(TokenVerification.Refused(TokenRejection.Malformed), request, centre));
        }

        return (new Resolved(claims, patientId, locale), null);
    }

    /// <summary>?lang=fr|en (the page's language switch), else the message's language from the token.</summary>
    internal static UnsubscribeLocale LocaleOf(HttpRequest request, UnsubscribeLocale fallback) => request.Query["lang"].ToString() switch
    {
        "fr" => UnsubscribeLocale.Fr,
        "en" => UnsubscribeLocale.En,
        _ => fallback,
    };

    internal static FormToken Form(IAntiforgery antiforgery, HttpContext context)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return new FormToken(tokens.FormFieldName, tokens.RequestToken ?? "");
    }

    internal static PatientEvidence Evidence(HttpContext context, string source, UnsubscribeLocale locale, string? keyId) =>
        new(source, context.Connection.RemoteIpAddress, context.Request.Headers[HeaderNames.UserAgent].ToString(), locale, keyId);

    private static async Task<ContentHttpResult> ShowAsync(string token, HttpContext context, UnsubscribeTokens tokens,
        PreferenceCentre centre, IAntiforgery antiforgery, TimeProvider clock)
    {
        var (resolved, refusal) = await ResolveAsync(token, context.Request, tokens, centre, clock);
        if (resolved is null)
        {
            return refusal!;
        }

        var view = await centre.ViewAsync(resolved.Claims.TenantId, resolved.PatientId, context.RequestAborted);
        return TypedResults.Content(PreferencePages.Preferences(resolved.Locale, token, view, Form(antiforgery, context), null, null), PatientPage.Html);
    }

    private static async Task<ContentHttpResult> WithdrawAsync(string token, HttpContext context, UnsubscribeTokens tokens,
        PreferenceCentre centre, ReceiptMailer receipts, IAntiforgery antiforgery, TimeProvider clock)
    {
        var (resolved, refusal) = await ResolveAsync(token, context.Request, tokens, centre, clock);
        if (resolved is null)
        {
            return refusal!;
        }

        var l = resolved.Locale;
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return await Reshow(context, token, resolved, centre, antiforgery, null,
                PatientPage.T(l, "La page a expiré : rien n'a changé. Réessayez.", "The page had expired: nothing changed. Please try again."), 400);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (ConsentItem.Parse(form["item"]) is not { } item)
        {
            return await Reshow(context, token, resolved, centre, antiforgery, null, PatientPage.T(l, "Choix inconnu : rien n'a changé.", "Unknown choice: nothing changed."), 400);
        }

        await centre.WithdrawAsync(resolved.Claims.TenantId, resolved.PatientId, item,
            Evidence(context, "preference_centre", l, resolved.Claims.KeyId), context.RequestAborted);
        await receipts.SendAsync(resolved.Claims.TenantId, resolved.PatientId, resolved.Claims.SubscriberRef, l, context.RequestAborted);
        var status = PatientPage.E(PatientPage.T(l, "C'est fait, immédiatement : ", "Done, effective immediately: ")
            + PreferencePages.ItemTitle(l, item) + PatientPage.T(l, " — accord retiré.", " — consent withdrawn."));
        return await Reshow(context, token, resolved, centre, antiforgery, status, null, 200);
    }

    private static async Task<ContentHttpResult> Reshow(HttpContext context, string token, Resolved resolved, PreferenceCentre centre,
        IAntiforgery antiforgery, string? status, string? alert, int statusCode)
    {
        var view = await centre.ViewAsync(resolved.Claims.TenantId, resolved.PatientId, context.RequestAborted);
        return TypedResults.Content(PreferencePages.Preferences(resolved.Locale, token, view, Form(antiforgery, context), status, alert),
            PatientPage.Html, statusCode: statusCode);
    }

    private static string? FromOf(HttpRequest request) => request.Query["from"].ToString() == "undo" ? "undo" : null;

    private static async Task<ContentHttpResult> GrantFormAsync(string token, string item, HttpContext context, UnsubscribeTokens tokens,
        PreferenceCentre centre, IAntiforgery antiforgery, TimeProvider clock)
    {
        var (resolved, refusal) = await ResolveAsync(token, context.Request, tokens, centre, clock);
        if (resolved is null)
        {
            return refusal!;
        }

        if (ConsentItem.Parse(item) is not { } parsed)
        {
            return await Reshow(context, token, resolved, centre, antiforgery, null, PatientPage.T(resolved.Locale, "Choix inconnu.", "Unknown choice."), 404);
        }

        var brand = await centre.BrandAsync(resolved.Claims.TenantId, context.RequestAborted);
        var wordings = await centre.WordingsAsync(resolved.Claims.TenantId, context.RequestAborted);
        return TypedResults.Content(PreferencePages.Grant(resolved.Locale, token, brand, parsed, wordings.For(parsed, resolved.Locale),
            Form(antiforgery, context), FromOf(context.Request), null), PatientPage.Html);
    }

    private static async Task<ContentHttpResult> GrantAsync(string token, string item, HttpContext context, UnsubscribeTokens tokens,
        PreferenceCentre centre, ReceiptMailer receipts, IAntiforgery antiforgery, IOptions<GatewayOptions> gateway, TimeProvider clock)
    {
        var (resolved, refusal) = await ResolveAsync(token, context.Request, tokens, centre, clock);
        if (resolved is null)
        {
            return refusal!;
        }

        var l = resolved.Locale;
        if (ConsentItem.Parse(item) is not { } parsed)
        {
            return await Reshow(context, token, resolved, centre, antiforgery, null, PatientPage.T(l, "Choix inconnu.", "Unknown choice."), 404);
        }

        var brand = await centre.BrandAsync(resolved.Claims.TenantId, context.RequestAborted);
        var wordings = await centre.WordingsAsync(resolved.Claims.TenantId, context.RequestAborted);
        var from = FromOf(context.Request);
        ContentHttpResult Again(string alert, int code) => TypedResults.Content(PreferencePages.Grant(l, token, brand, parsed,
            wordings.For(parsed, l), Form(antiforgery, context), from, alert), PatientPage.Html, statusCode: code);

        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Again(PatientPage.T(l, "La page a expiré : rien n'a été enregistré. Réessayez.", "The page had expired: nothing was recorded. Please try again."), 400);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var result = await centre.RequestGrantAsync(resolved.Claims.TenantId, resolved.PatientId, parsed, form["agree"] == "yes",
            form["wording_version"], form["wording_sha256"],
            Evidence(context, from == "undo" ? "unsubscribe_undo" : "preference_centre", l, resolved.Claims.KeyId),
            new Uri(gateway.Value.PublicBaseUrl), context.RequestAborted);
        var title = PreferencePages.ItemTitle(l, parsed);
        if (result.Outcome == GrantOutcome.Granted)
        {
            await receipts.SendAsync(resolved.Claims.TenantId, resolved.PatientId, resolved.Claims.SubscriberRef, l, context.RequestAborted);
        }

        return result.Outcome switch
        {
            GrantOutcome.NotTicked => Again(PatientPage.T(l, "Rien n'a été enregistré : la case n'était pas cochée.", "Nothing was recorded: the box was not ticked."), 422),
            GrantOutcome.StaleWording => Again(PatientPage.T(l, "Le texte a changé depuis l'ouverture de la page : lisez-le à nouveau.", "The wording changed since the page was opened: please read it again."), 409),
            GrantOutcome.NoAddress => Again(PatientPage.T(l, "La clinique n'a pas d'adresse e-mail pour vous : contactez-la.", "The clinic has no email address for you: please contact it."), 422),
            GrantOutcome.TooManyRequests => Again(PatientPage.T(l, "Plusieurs confirmations vous ont déjà été envoyées : consultez votre boîte de réception, ou réessayez dans une heure.", "Several confirmations were already sent to you: check your inbox, or try again in an hour."), 429),
            GrantOutcome.Refused => Again(PatientPage.T(l, "Cela n'a pas pu être enregistré. Réessayez plus tard ou contactez la clinique.", "This could not be recorded. Try again later or contact the clinic."), 503),
            GrantOutcome.ConfirmationSent => await Reshow(context, token, resolved, centre, antiforgery,
                PatientPage.E(PatientPage.T(l, "Presque fini : nous avons envoyé un lien de confirmation à votre adresse e-mail. ", "Almost done: we sent a confirmation link to your email address. ")
                    + title + PatientPage.T(l, " sera activé quand vous l'ouvrirez.", " starts once you open it.")), null, 200),
            _ => await Reshow(context, token, resolved, centre, antiforgery,
                PatientPage.E(PatientPage.T(l, "C'est enregistré : ", "Saved: ") + title + PatientPage.T(l, " — accord donné.", " — consent given.")), null, 200),
        };
    }

    private static async Task<ContentHttpResult> ConfirmFormAsync(string code, HttpContext context, PreferenceCentre centre, IAntiforgery antiforgery,
        TimeProvider clock)
    {
        if (await centre.PendingAsync(code, context.RequestAborted) is not { } pending)
        {
            return TypedResults.Content(PreferencePages.InvalidConfirmation(LocaleOf(context.Request, UnsubscribeLocale.Fr)), PatientPage.Html, statusCode: 400);
        }

        var l = UnsubscribeLocales.From(pending.Locale);
        var brand = await centre.BrandAsync(pending.TenantId, context.RequestAborted);
        return pending.ConfirmedAt is not null || pending.ExpiresAt < clock.GetUtcNow().UtcDateTime
            ? TypedResults.Content(PreferencePages.Confirmed(l, brand, confirmedNow: false), PatientPage.Html)
            : TypedResults.Content(PreferencePages.ConfirmPrompt(l, code, brand,
                (await centre.WordingsAsync(pending.TenantId, context.RequestAborted)).Find(pending.WordingVersion), Form(antiforgery, context)), PatientPage.Html);
    }

    private static async Task<ContentHttpResult> ConfirmAsync(string code, HttpContext context, PreferenceCentre centre, ReceiptMailer receipts,
        UnsubscribeLinks links, IAntiforgery antiforgery)
    {
        if (await centre.PendingAsync(code, context.RequestAborted) is not { } pending)
        {
            return TypedResults.Content(PreferencePages.InvalidConfirmation(LocaleOf(context.Request, UnsubscribeLocale.Fr)), PatientPage.Html, statusCode: 400);
        }

        var l = UnsubscribeLocales.From(pending.Locale);
        var brand = await centre.BrandAsync(pending.TenantId, context.RequestAborted);
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.Content(PreferencePages.ConfirmPrompt(l, code, brand,
                (await centre.WordingsAsync(pending.TenantId, context.RequestAborted)).Find(pending.WordingVersion), Form(antiforgery, context)), PatientPage.Html, statusCode: 400);
        }

        var result = await centre.ConfirmAsync(code, Evidence(context, "double_opt_in", l, null), context.RequestAborted);
        if (result?.Confirmed == true)
        {
            await receipts.SendAsync(pending.TenantId, pending.PatientId, links.SubscriberReferenceOf(pending.TenantId, pending.PatientId), l, context.RequestAborted);
        }
        return TypedResults.Content(PreferencePages.Confirmed(l, brand, result?.Confirmed == true), PatientPage.Html);
    }

    private static Task<IResult> ReceiptHtmlAsync(string token, HttpContext context, UnsubscribeTokens tokens, PreferenceCentre centre, TimeProvider clock) =>
        ReceiptAsync(token, context, tokens, centre, clock, json: false);

    private static Task<IResult> ReceiptJsonAsync(string token, HttpContext context, UnsubscribeTokens tokens, PreferenceCentre centre, TimeProvider clock) =>
        ReceiptAsync(token, context, tokens, centre, clock, json: true);

    /// <summary>The consent receipt as a download: the same receipt, as a page or as JSON.</summary>
    private static async Task<IResult> ReceiptAsync(string token, HttpContext context, UnsubscribeTokens tokens, PreferenceCentre centre, TimeProvider clock, bool json)
    {
        var (resolved, refusal) = await ResolveAsync(token, context.Request, tokens, centre, clock);
        if (resolved is null)
        {
            return refusal!;
        }

        var view = await centre.ViewAsync(resolved.Claims.TenantId, resolved.PatientId, context.RequestAborted);
        var receipt = ConsentReceipts.Build(view, resolved.Claims.SubscriberRef, clock.GetUtcNow(), resolved.Locale);
        context.Response.Headers.ContentDisposition = json ? "attachment; filename=\"consent-receipt.json\"" : "attachment; filename=\"consent-receipt.html\"";
        return json
            ? TypedResults.Content(ConsentReceipts.Json(receipt), "application/json; charset=utf-8")
            : TypedResults.Content(ConsentReceipts.Html(resolved.Locale, view, receipt), PatientPage.Html);
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.Hosting;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using static CommsGateway.Features.Preferences.PatientPage;

namespace CommsGateway.Features.Preferences;

/// <summary>
/// A clinic's hosted consent form for one patient, at /c/{token}: a link the clinic sends or opens on a tablet at the
/// desk, or an iframe on its site (only from its configured origins). One unticked box per purpose and channel (and
/// per photo placement), each with its exact wording; nothing can be pre-ticked (the form has no such setting); a
/// submission where one box stands for several consents is refused whole. Email is confirmed by double opt-in.
/// </summary>
public static class CaptureForm
{
    /// <summary>How long a shown form may be submitted.</summary>
    public static readonly TimeSpan FormLifetime = TimeSpan.FromHours(2);

    public static IEndpointRouteBuilder MapCaptureForm(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/c/{token}", ShowAsync);
        endpoints.MapPost("/c/{token}", SubmitAsync).DisableAntiforgery();
        return endpoints;
    }

    private sealed record Resolved(CaptureFormClaims Claims, string PatientId, UnsubscribeLocale Locale, ClinicBrand Brand, WordingSet Wordings);

    private static async Task<(Resolved? Ok, ContentHttpResult? Refusal)> ResolveAsync(string token, HttpContext context, PreferenceCentre centre,
        IOptions<UnsubscribeOptions> options, TimeProvider clock)
    {
        var ct = context.RequestAborted;
        if (CaptureFormTokens.Verify(options.Value.SubscriberKeyBytes(), token, clock.GetUtcNow()) is not { } claims
            || await centre.PatientOfAsync(claims.TenantId, claims.SubscriberRef, ct) is not { } patientId)
        {
            SecureHeaders(context.Response);
            var l = InvalidLinkPage.AcceptLocale(context.Request);
            return (null, TypedResults.Content(Layout(l, null, T(l, "Formulaire non valide", "Invalid form"), $"""
                <h1>{E(T(l, "Formulaire non valide", "Invalid form"))}</h1>
                <p>{E(T(l, "Ce lien de formulaire n'est pas valide ou a expiré (30 jours). Demandez-en un nouveau à votre clinique.",
                    "This form link is not valid or has expired (30 days). Ask your clinic for a new one."))}</p>
                """), Html, statusCode: StatusCodes.Status400BadRequest));
        }

        var locale = PreferencesFeature.LocaleOf(context.Request, claims.Locale);
        var brand = await centre.BrandAsync(claims.TenantId, ct);
        var origins = await centre.CaptureFormOriginsAsync(claims.TenantId, ct);
        SecureHeaders(context.Response);
        // Framed only by the clinic's own pages (a tablet kiosk, its site); 'self' for the language switch.
        context.Response.Headers.ContentSecurityPolicy =
            "default-src 'none'; style-src 'unsafe-inline'; img-src https:; form-action 'self'; base-uri 'none'; frame-ancestors "
            + (origins.Count == 0 ? "'none'" : "'self' " + string.Join(' ', origins));
        return (new Resolved(claims, patientId, locale, brand, await centre.WordingsAsync(claims.TenantId, ct)), null);
    }

    private static async Task<ContentHttpResult> ShowAsync(string token, HttpContext context, PreferenceCentre centre,
        IOptions<UnsubscribeOptions> options, TimeProvider clock)
    {
        var (resolved, refusal) = await ResolveAsync(token, context, centre, options, clock);
        return resolved is null ? refusal! : TypedResults.Content(Page(resolved, token, options.Value, clock, null), Html);
    }

    private static string Page(Resolved r, string token, UnsubscribeOptions options, TimeProvider clock, string? alert)
    {
        var l = r.Locale;
        var shownAt = clock.GetUtcNow().ToUnixTimeSeconds();
        var body = new StringBuilder();
        body.Append($"<h1>{E(T(l, "Vos choix de communication", "Your communication choices"))}</h1>\n");
        if (alert is not null)
        {
            body.Append($"<div class=\"alert\" role=\"alert\"><p>{E(alert)}</p></div>\n");
        }

        body.Append($"<p>{E(T(l, $"{r.Brand.Name} vous demande votre accord, séparément pour chaque usage. Cochez seulement ce que vous acceptez : une case vide veut dire non. Vous pourrez changer d'avis à tout moment.",
            $"{r.Brand.Name} asks for your consent, separately for each use. Tick only what you agree to: an empty box means no. You can change your mind at any time."))}</p>\n");
        body.Append($"""
            <form method="post" action="/c/{E(token)}?lang={PreferencePages.LocaleName(l)}">
            <input type="hidden" name="form_at" value="{shownAt.ToString(CultureInfo.InvariantCulture)}">
            <input type="hidden" name="form_mac" value="{E(CaptureFormTokens.FormMac(options.SubscriberKeyBytes(), token, shownAt))}">

            """);
        foreach (var (heading, purpose) in new[] { (T(l, "Actualités et offres", "News and offers"), ConsentPurpose.Marketing), (T(l, "Mes photos avant/après", "My before/after photos"), ConsentPurpose.PhotoMarketing) })
        {
            body.Append($"<fieldset><legend>{E(heading)}</legend>\n");
            foreach (var item in ConsentItem.All.Where(i => i.Purpose == purpose))
            {
                var wording = r.Wordings.For(item, l);
                var id = "c-" + item.Key.Replace('.', '-').Replace('_', '-');
                // Never "checked": a pre-ticked box is not consent (GDPR recital 32, CJEU C-673/17 Planet49).
                body.Append($"""
                    <div class="check"><input type="checkbox" id="{id}" name="consent" value="{E(item.Key)}"><label for="{id}"><strong>{E(PreferencePages.ItemTitle(l, item))}</strong><br>{E(wording.Text)}</label></div>
                    <input type="hidden" name="v.{E(item.Key)}" value="{E(wording.Version)}">

                    """);
            }

            body.Append("</fieldset>\n");
        }

        body.Append($"""
            <p class="note">{E(T(l, "Pour l'e-mail, nous enverrons un lien de confirmation à l'adresse enregistrée par la clinique.", "For email, we will send a confirmation link to the address the clinic has on record."))}</p>
            <button type="submit">{E(T(l, "Enregistrer mes choix", "Save my choices"))}</button>
            </form>
            """);
        return Layout(l, r.Brand, T(l, "Vos choix de communication", "Your communication choices"), body.ToString(), "/c/" + token);
    }

    private static async Task<ContentHttpResult> SubmitAsync(string token, HttpContext context, PreferenceCentre centre, ReceiptMailer receipts,
        IOptions<UnsubscribeOptions> options, IOptions<GatewayOptions> gateway, TimeProvider clock, ILoggerFactory loggers)
    {
        var (resolved, refusal) = await ResolveAsync(token, context, centre, options, clock);
        if (resolved is null)
        {
            return refusal!;
        }

        var l = resolved.Locale;
        var ct = context.RequestAborted;
        if (!context.Request.HasFormContentType)
        {
            return TypedResults.Content(Page(resolved, token, options.Value, clock, T(l, "Rien n'a été enregistré.", "Nothing was recorded.")), Html, statusCode: 400);
        }

        var form = await context.Request.ReadFormAsync(ct);
        var now = clock.GetUtcNow();
        if (!long.TryParse(form["form_at"], NumberStyles.None, CultureInfo.InvariantCulture, out var shownAt)
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(form["form_mac"].ToString()),
                Encoding.ASCII.GetBytes(CaptureFormTokens.FormMac(options.Value.SubscriberKeyBytes(), token, shownAt)))
            || now.ToUnixTimeSeconds() - shownAt > FormLifetime.TotalSeconds || shownAt > now.ToUnixTimeSeconds() + 300)
        {
            return TypedResults.Content(Page(resolved, token, options.Value, clock,
                T(l, "Le formulaire a expiré : rien n'a été enregistré. Cochez à nouveau vos choix.", "The form had expired: nothing was recorded. Please tick your choices again.")),
                Html, statusCode: 400);
        }

        var versions = form.Keys.Where(k => k.StartsWith("v.", StringComparison.Ordinal))
            .ToDictionary(k => k[2..], k => (string?)form[k].ToString(), StringComparer.Ordinal);
        var submission = CaptureSubmission.Parse(form["consent"].ToArray(), versions, l, resolved.Wordings);
        if (!submission.Ok)
        {
            loggers.CreateLogger(typeof(CaptureForm)).LogWarning("Capture form for tenant {TenantId} refused: {Codes}",
                resolved.Claims.TenantId, string.Join(',', submission.Errors.Select(e => e.Code).Distinct()));
            var bundled = submission.Errors.Any(e => e.Code == ConsentErrorCodes.Bundled);
            return TypedResults.Content(Page(resolved, token, options.Value, clock, bundled
                    ? T(l, "Rien n'a été enregistré : une case ne peut valoir que pour un seul usage et un seul canal.", "Nothing was recorded: one box can only stand for one use on one channel.")
                    : T(l, "Rien n'a été enregistré : le formulaire a changé, cochez à nouveau vos choix.", "Nothing was recorded: the form changed, please tick your choices again.")),
                Html, statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        var done = new List<string>();
        var pending = new List<string>();
        foreach (var item in submission.Items)
        {
            var wording = resolved.Wordings.For(item, l);
            var result = await centre.RequestGrantAsync(resolved.Claims.TenantId, resolved.PatientId, item, ticked: true, wording.Version, wording.Sha256,
                PreferencesFeature.Evidence(context, "capture_form", l, null), new Uri(gateway.Value.PublicBaseUrl), ct);
            (result.Outcome == GrantOutcome.ConfirmationSent ? pending : done).Add(
                PreferencePages.ItemTitle(l, item) + (result.Outcome is GrantOutcome.Granted or GrantOutcome.ConfirmationSent ? "" : T(l, " (non enregistré)", " (not recorded)")));
        }

        if (done.Count > 0)
        {
            await receipts.SendAsync(resolved.Claims.TenantId, resolved.PatientId, resolved.Claims.SubscriberRef, l, ct);
        }

        var body = new StringBuilder($"<div role=\"status\">\n<h1>{E(T(l, "Merci, c'est noté", "Thank you, noted"))}</h1>\n");
        body.Append(submission.Items.Count == 0
            ? $"<p>{E(T(l, "Aucune case cochée : aucun accord n'a été enregistré.", "No box ticked: no consent was recorded."))}</p>\n"
            : "");
        if (done.Count > 0)
        {
            body.Append($"<p>{E(T(l, "Enregistré :", "Recorded:"))}</p><ul>{string.Concat(done.Select(d => $"<li>{E(d)}</li>"))}</ul>\n");
        }

        if (pending.Count > 0)
        {
            body.Append($"<p>{E(T(l, "À confirmer depuis le lien envoyé par e-mail :", "To confirm from the link sent by email:"))}</p><ul>{string.Concat(pending.Select(d => $"<li>{E(d)}</li>"))}</ul>\n");
        }

        body.Append("</div>\n");
        return TypedResults.Content(Layout(l, resolved.Brand, T(l, "Merci, c'est noté", "Thank you, noted"), body.ToString()), Html);
    }
}

/// <summary>Issues the hosted form's link for one patient (CLI `commsgw consent form-link`).</summary>
public sealed class CaptureFormLinks(UnsubscribeLinks links, IOptions<UnsubscribeOptions> options, IOptions<GatewayOptions> gateway, TimeProvider clock)
{
    public async Task<Uri> IssueAsync(string tenantId, string patientId, UnsubscribeLocale locale, CancellationToken ct)
    {
        var reference = await links.RegisterAsync(tenantId, patientId, ct);
        var token = CaptureFormTokens.Issue(options.Value.SubscriberKeyBytes(), tenantId, reference, locale, clock.GetUtcNow());
        return new Uri(gateway.Value.PublicBaseUrl.TrimEnd('/') + "/c/" + token);
    }
}

/// <summary>Stores the origins allowed to frame a clinic's capture form.</summary>
public sealed class CaptureFormOriginStore(NpgsqlDataSource dataSource)
{
    /// <summary>Replaces the list; false when there is no such clinic.</summary>
    public async Task<bool> SetAsync(string tenantId, IReadOnlyList<string> origins, Admin.Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "update tenants set capture_form_origins = @origins where tenant_id = @tenantId",
            new { tenantId, origins = origins.ToArray() }, tx, cancellationToken: ct)) == 1;
        if (updated)
        {
            await Admin.AdminAudit.WriteAsync(connection, tx, tenantId, actor, "tenant.capture_form_origins", null, new { origins }, ct);
        }

        await tx.CommitAsync(ct);
        return updated;
    }
}

using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Preferences;
using CommsGateway.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CommsGateway.Features.Unsubscribe;

public static class UnsubscribeFeature
{
    /// <summary>An unsubscribe POST is a few bytes; anything bigger is not one.</summary>
    private const long MaxBodyBytes = 8 * 1024;

    private const string Html = "text/html; charset=utf-8";

    public static IHostApplicationBuilder AddUnsubscribe(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<UnsubscribeOptions>().BindConfiguration(UnsubscribeOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<UnsubscribeProductionGuard>();
        builder.Services.AddSingleton<IValidateOptions<UnsubscribeOptions>>(sp => sp.GetRequiredService<UnsubscribeProductionGuard>());
        builder.Services.AddSingleton<IValidateOptions<GatewayOptions>>(sp => sp.GetRequiredService<UnsubscribeProductionGuard>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp =>
        {
            // Development keys outside Development/Testing never get here: UnsubscribeProductionGuard stops the start.
            var options = sp.GetRequiredService<IOptions<UnsubscribeOptions>>().Value;
            return new UnsubscribeTokens(options.KeyRing(), TimeSpan.FromDays(options.ValidityDays));
        });
        builder.Services.AddSingleton<UnsubscribeLinks>();
        builder.Services.AddSingleton<ClinicNames>();
        builder.Services.AddSingleton<UnsubscribeRecorder>();
        return builder;
    }

    public static IEndpointRouteBuilder MapUnsubscribe(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // The token is in the URL: never leak it in a Referer, never cache or frame the page.
        var group = endpoints.MapPatientPages("/u");
        group.MapGet("/{token}", ShowAsync);
        group.MapPost("/{token}", WithdrawAsync).DisableAntiforgery();
        return endpoints;
    }

    /// <summary>
    /// GET never changes anything: mail scanners and link previews fetch it (RFC 8058 section 1). A link whose channel
    /// is already withdrawn shows that state (with undo and the preference centre) instead of the same prompt.
    /// </summary>
    internal static async Task<ContentHttpResult> ShowAsync(string token, HttpRequest request, UnsubscribeTokens tokens,
        PreferenceCentre centre, TimeProvider clock)
    {
        var verification = tokens.Verify(token, clock.GetUtcNow());
        if (verification.Claims is not { } claims)
        {
            return await InvalidLinkPage.ResultAsync(verification, request, centre);
        }

        var ct = request.HttpContext.RequestAborted;
        var brand = await centre.BrandAsync(claims.TenantId, ct);
        if (await centre.PatientOfAsync(claims, ct) is { } patientId)
        {
            var view = await centre.ViewAsync(claims.TenantId, patientId, ct);
            var row = view.Rows.FirstOrDefault(r => r.Item.Purpose == Core.Consent.ConsentPurpose.Marketing && r.Item.Channel == claims.Channel);
            if (row is { Granted: false, Latest: { Action: "withdraw" } withdrawn })
            {
                return TypedResults.Content(UnsubscribePage.AlreadyWithdrawn(claims.Locale, brand, token, claims.Channel, withdrawn.OccurredAt), Html);
            }
        }

        return TypedResults.Content(UnsubscribePage.Choice(claims.Locale, brand, token, claims.Channel), Html);
    }

    /// <summary>
    /// RFC 8058 section 3.2: a POST whose body is "List-Unsubscribe=One-Click" (urlencoded or multipart) unsubscribes at
    /// once, with no cookie, no authentication and no redirect. The page's own form posts scope=channel|all.
    /// Any other body is refused.
    /// </summary>
    internal static async Task<ContentHttpResult> WithdrawAsync(string token, HttpContext context, UnsubscribeTokens tokens,
        UnsubscribeRecorder recorder, PreferenceCentre centre, TimeProvider clock, ILoggerFactory loggers)
    {
        var request = context.Request;
        var verification = tokens.Verify(token, clock.GetUtcNow());
        if (verification.Claims is not { } claims)
        {
            loggers.CreateLogger(typeof(UnsubscribeFeature)).LogInformation("Unsubscribe token refused: {Rejection}", verification.Rejection);
            return await InvalidLinkPage.ResultAsync(verification, request, centre);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        if (!request.HasFormContentType || request.ContentLength > MaxBodyBytes)
        {
            return BadRequest(claims.Locale);
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            return BadRequest(claims.Locale);
        }

        UnsubscribeScope scope;
        UnsubscribeMethod method;
        if (form.TryGetValue("List-Unsubscribe", out var oneClick) && oneClick == "One-Click")
        {
            (scope, method) = (claims.Scope, UnsubscribeMethod.OneClick);
        }
        else if (form.TryGetValue("scope", out var chosen) && chosen == "channel")
        {
            (scope, method) = (UnsubscribeScope.Channel, UnsubscribeMethod.Page);
        }
        else if (chosen == "all")
        {
            (scope, method) = (UnsubscribeScope.AllMarketing, UnsubscribeMethod.Page);
        }
        else
        {
            return BadRequest(claims.Locale);
        }

        await recorder.WithdrawAsync(UnsubscribeRequest.From(claims, scope, method,
            context.Connection.RemoteIpAddress, request.Headers[HeaderNames.UserAgent].ToString()), context.RequestAborted);
        return TypedResults.Content(
            UnsubscribePage.Confirmation(claims.Locale, await centre.BrandAsync(claims.TenantId, context.RequestAborted), token, claims.Channel, scope), Html);
    }

    private static ContentHttpResult BadRequest(UnsubscribeLocale locale) =>
        TypedResults.Content(UnsubscribePage.Invalid(locale), Html, statusCode: StatusCodes.Status400BadRequest);
}

using System.Security.Claims;
using CommsGateway.Core.Consent;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Contacts;
using CommsGateway.Features.Patients;
using CommsGateway.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CommsGateway.Features.Admin;

/// <summary>A consent request body: a grant or a withdrawal for one purpose and one channel (or, for withdrawals, several).</summary>
public sealed record ConsentRequestBody
{
    public string? Purpose { get; init; }

    public string? Channel { get; init; }

    /// <summary>Withdrawals only: several channels at once. A grant naming several is refused (unbundled consent).</summary>
    public IReadOnlyList<string>? Channels { get; init; }

    /// <summary>Accepted only to refuse bundling with a clear error.</summary>
    public IReadOnlyList<string>? Purposes { get; init; }

    public string? Placement { get; init; }

    public DateTimeOffset? OccurredAt { get; init; }

    public ConsentEvidence? Evidence { get; init; }

    internal ConsentCommand ToCommand(string tenantId, string patientId, ConsentAction action) => new()
    {
        TenantId = tenantId,
        PatientId = patientId,
        Action = action,
        Purposes = [.. Purposes ?? [], .. Purpose is null ? Array.Empty<string>() : [Purpose]],
        Channels = [.. Channels ?? [], .. Channel is null ? Array.Empty<string>() : [Channel]],
        Placement = Placement,
        OccurredAt = OccurredAt,
        Evidence = Evidence ?? new ConsentEvidence(),
    };
}

public sealed record ConsentRecorded(IReadOnlyList<long> EventIds);

public static class AdminApi
{
    /// <summary>The services behind the admin API, without HTTP: the CLI hosts these too (same code paths).</summary>
    public static IHostApplicationBuilder AddConsentServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TenantDirectory>();
        builder.Services.AddSingleton<ContactDirectory>();
        builder.Services.AddSingleton<ContactImporter>();
        builder.Services.AddSingleton<ConsentLedger>();
        builder.Services.AddSingleton<OptOuts>();
        builder.Services.AddSingleton<PatientRecords>();
        return builder;
    }

    /// <summary>Consent services plus API-key authentication and the OpenAPI document (/openapi/v1.json).</summary>
    public static IHostApplicationBuilder AddAdminApi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddConsentServices();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<Providers.SenderOptions>, SenderOptionsValidator>();
        builder.Services.AddOptions<Providers.SenderOptions>().ValidateOnStart();
        builder.Services.AddHostedService<SenderSeeding>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(options =>
        {
            // Clinic endpoints need a clinic's key (its tenant scopes every query); an operator key is refused there (403).
            options.DefaultPolicy = new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder()
                .RequireClaim(ApiKeyAuthenticationHandler.TenantClaim).Build();
            options.AddPolicy(ApiKeyAuthenticationHandler.AnyKeyPolicy, policy => policy.RequireAuthenticatedUser());
            options.AddPolicy(ApiKeyAuthenticationHandler.OperatorPolicy, policy => policy.RequireRole(ApiKeyAuthenticationHandler.OperatorRole));
        });
        builder.Services.AddOpenApi(OpenApiDocumentation.Configure);
        return builder;
    }

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var openApi = endpoints.MapOpenApi();
        if (OpenApiDocumentation.ManagementRequiresKey(endpoints.ServiceProvider))
        {
            openApi.RequireAuthorization(ApiKeyAuthenticationHandler.AnyKeyPolicy);
        }

        var patients = endpoints.MapGroup("/api/patients/{patientId}").RequireAuthorization().WithTags("Patients")
            .AddEndpointFilter(RefuseForbiddenIdentifier);

        patients.MapPut("/contact", UpsertContact).WithSummary("Create or replace the patient's contact point");
        patients.MapPost("/consents", (string patientId, ConsentRequestBody body, HttpContext http, ConsentLedger ledger, CancellationToken ct) =>
            RecordConsent(body.ToCommand(http.User.Tenant(), patientId, ConsentAction.Grant), http, ledger.RecordAsync, ct)).WithSummary("Record one grant: one purpose, one channel, with evidence")
            .WithBodyLimit(ClinicsApi.ConsentBodyBytes);
        patients.MapPost("/consents/withdrawals", (string patientId, ConsentRequestBody body, HttpContext http, OptOuts optOuts, CancellationToken ct) =>
            RecordConsent(body.ToCommand(http.User.Tenant(), patientId, ConsentAction.Withdraw), http, optOuts.WithdrawAsync, ct)).WithSummary("Record a withdrawal; effective for every later decision")
            .WithBodyLimit(ClinicsApi.ConsentBodyBytes);
        patients.MapGet("/consents", GetCurrent).WithSummary("Current consent per purpose and channel");
        patients.MapGet("/consents/history", GetHistory).WithSummary("Every grant and withdrawal with its evidence");
        patients.MapGet("/export", Export).WithSummary("Access request: everything held about the patient");
        patients.MapDelete("", Erase).WithSummary("Erasure: delete contact points, pseudonymise, keep a hashed suppression");
        endpoints.MapClinicsApi();
        return endpoints;
    }

    /// <summary>A patient id with control, bidi or zero-width characters is refused before anything reads or writes it.</summary>
    private static async ValueTask<object?> RefuseForbiddenIdentifier(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var id = context.HttpContext.Request.RouteValues["patientId"] as string;
        if (Core.Validation.Identifiers.FirstForbidden(id) is { } character || id?.Length > Core.Validation.ChannelLimits.IdentifierLength)
        {
            return Problems.Typed(StatusCodes.Status400BadRequest, Problems.InvalidIdentifier,
                $"patientId: at most {Core.Validation.ChannelLimits.IdentifierLength} characters, no control, bidi or zero-width characters"
                + (id?.Length > Core.Validation.ChannelLimits.IdentifierLength ? "" : $" (found {Core.Validation.Identifiers.FirstForbidden(id)})"),
                new Dictionary<string, object?> { ["field"] = "patientId" });
        }

        return await next(context);
    }

    private static async Task<Results<Ok<PatientContactView>, ValidationProblem>> UpsertContact(
        string patientId, ContactInput body, HttpContext http, ContactDirectory contacts, CancellationToken ct)
    {
        var tenant = http.User.Tenant();
        var result = await contacts.UpsertAsync(tenant, patientId, body, http.Actor(), null, ct);
        if (!result.Ok)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["contact"] = [.. result.Errors] });
        }

        var c = (await contacts.FindAsync(tenant, patientId, ct))!;
        return TypedResults.Ok(new PatientContactView(c.FirstName, c.LastName, c.Email, c.Phone, c.WhatsApp, NullIfEmpty(c.Locale),
            NullIfEmpty(c.TimeZone), c.LastInteractionAt, http.Actor().ToString(), DateTimeOffset.UtcNow));
    }

    private static async Task<Results<Created<ConsentRecorded>, ValidationProblem, ProblemHttpResult, NotFound>> RecordConsent(
        ConsentCommand command, HttpContext http, Func<ConsentCommand, Actor, CancellationToken, Task<ConsentRecordResult>> record, CancellationToken ct)
    {
        var result = await record(command, http.Actor(), ct);
        if (!result.PatientFound)
        {
            return TypedResults.NotFound();
        }

        if (result.Errors.Where(e => e.Code == ConsentErrorCodes.EvidenceTooLarge).Select(e => e.Message).ToList() is { Count: > 0 } tooLarge)
        {
            // Named limits, so the caller can fix its evidence; nothing was written.
            return Problems.Typed(StatusCodes.Status400BadRequest, Problems.EvidenceTooLarge, string.Join("; ", tooLarge),
                new Dictionary<string, object?>
                {
                    ["maxBytes"] = ConsentEvidenceLimits.MaxBytes, ["maxExtraKeys"] = ConsentEvidenceLimits.MaxExtraKeys,
                    ["maxKeyLength"] = ConsentEvidenceLimits.MaxKeyLength, ["maxDepth"] = ConsentEvidenceLimits.MaxDepth,
                });
        }

        if (result.Errors.Count > 0)
        {
            return TypedResults.ValidationProblem(result.Errors.GroupBy(e => e.Code).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
                title: "Consent refused");
        }

        return TypedResults.Created($"/api/patients/{Uri.EscapeDataString(command.PatientId)}/consents/history", new ConsentRecorded(result.EventIds));
    }

    private static async Task<Results<Ok<IReadOnlyList<ConsentCurrentView>>, NotFound>> GetCurrent(
        string patientId, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
        await ledger.CurrentAsync(user.Tenant(), patientId, ct) is { } current ? TypedResults.Ok(current) : TypedResults.NotFound();

    private static async Task<Results<Ok<IReadOnlyList<ConsentEventView>>, NotFound>> GetHistory(
        string patientId, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
        await ledger.HistoryAsync(user.Tenant(), patientId, ct) is { } history ? TypedResults.Ok(history) : TypedResults.NotFound();

    /// <summary>JSON for the DPO; ?format=html (and ?lang=fr|en) the same export as a document the patient can read.</summary>
    private static async Task<Results<Ok<PatientExport>, ContentHttpResult, NotFound>> Export(
        string patientId, HttpContext http, PatientRecords records, Preferences.ClinicBrands brands, Preferences.WordingCatalogue wordings, CancellationToken ct,
        string? format = null, string? lang = null)
    {
        if (await records.ExportAsync(http.User.Tenant(), patientId, http.Actor(), ct) is not { } export)
        {
            return TypedResults.NotFound();
        }

        if (format != "html")
        {
            return TypedResults.Ok(export);
        }

        var brand = await brands.FindAsync(export.TenantId, ct) ?? new Core.Preferences.ClinicBrand(export.TenantId);
        return TypedResults.Content(Preferences.AccessReport.Html(export, brand,
            Core.Unsubscribe.UnsubscribeLocales.From(lang ?? export.Contact?.Locale ?? "fr"), await wordings.ForTenantAsync(export.TenantId, ct)),
            "text/html; charset=utf-8");
    }

    private static async Task<Results<Ok<ErasureResult>, NotFound>> Erase(
        string patientId, HttpContext http, PatientRecords records, CancellationToken ct) =>
        await records.EraseAsync(http.User.Tenant(), patientId, http.Actor(), ct) is { } erased ? TypedResults.Ok(erased) : TypedResults.NotFound();

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

using CommsGateway.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CommsGateway.Features.Admin;

public static class AdminApi
{
    /// <summary>
    /// API-key authentication, the clinics' API and the OpenAPI document (/openapi/v1.json). The patient endpoints
    /// (/api/patients/{patientId}/...) belong to their features: Contacts, Consent, Patients (<see cref="MapPatientApi"/>).
    /// </summary>
    public static IHostApplicationBuilder AddAdminApi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<TenantDirectory>();
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

        endpoints.MapClinicsApi();
        return endpoints;
    }

    /// <summary>
    /// The group every patient endpoint is mapped in, whichever feature maps it: a clinic's key (its tenant scopes every
    /// query) and a patient id that is refused when it is not a plain identifier.
    /// </summary>
    internal static RouteGroupBuilder MapPatientApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGroup("/api/patients/{patientId}").RequireAuthorization().WithTags("Patients").AddEndpointFilter(RefuseForbiddenIdentifier);

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
}

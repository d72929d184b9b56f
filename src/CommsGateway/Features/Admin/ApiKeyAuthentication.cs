using System.Security.Claims;
using System.Text.Encodings.Web;
using CommsGateway.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Admin;

/// <summary>
/// Per-tenant API keys: "Authorization: Bearer &lt;keyId&gt;.&lt;secret&gt;" or "X-Api-Key: &lt;keyId&gt;.&lt;secret&gt;".
/// The key's tenant becomes a claim that scopes every query; nothing else in a request can name a tenant.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TenantDirectory tenants) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "commsgw:tenant";
    public const string KeyIdClaim = "commsgw:key_id";
    public const string OperatorRole = "operator";

    /// <summary>Authorization policy of the endpoints only an operator key may call (adding clinics, sender identities).</summary>
    public const string OperatorPolicy = "operator";

    /// <summary>Any valid key, a clinic's or an operator's (the OpenAPI document outside Development).</summary>
    public const string AnyKeyPolicy = "any-key";

    private const string FailureKey = "commsgw:auth_failure";

    private enum Failure
    {
        Missing,
        Malformed,
        Invalid,
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization.ToString();
        string? presented;
        if (authorization.Length > 0)
        {
            // "Bearer <keyId>.<secret>" and nothing else: a Basic header, a bare key or "Bearer" alone is malformed.
            presented = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
        }
        else if (Request.Headers.TryGetValue("X-Api-Key", out var header))
        {
            presented = header.ToString().Trim();
        }
        else
        {
            Context.Items[FailureKey] = Failure.Missing;
            return AuthenticateResult.NoResult();
        }

        if (!TenantDirectory.IsWellFormedKey(presented))
        {
            Context.Items[FailureKey] = Failure.Malformed;
            return AuthenticateResult.Fail("malformed credentials");
        }

        var identity = await tenants.AuthenticateAsync(presented!, Context.RequestAborted);
        if (identity is null)
        {
            Logger.LogWarning("Rejected an admin API key (unknown id or wrong secret)");
            Context.Items[FailureKey] = Failure.Invalid;
            return AuthenticateResult.Fail("invalid API key");
        }

        List<Claim> claims = [new(KeyIdClaim, identity.KeyId), new(ClaimTypes.Name, identity.Label)];
        claims.Add(identity.TenantId is { } tenantId ? new Claim(TenantClaim, tenantId) : new Claim(ClaimTypes.Role, OperatorRole));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    /// <summary>401 with WWW-Authenticate (RFC 6750) and a problem+json body saying whether the key was missing, malformed or refused.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = Context.Items.TryGetValue(FailureKey, out var f) && f is Failure kind ? kind : Failure.Missing;
        var (error, detail) = failure switch
        {
            Failure.Malformed => ("invalid_request", "The Authorization header is malformed: send \"Authorization: Bearer <keyId>.<secret>\" (or X-Api-Key: <keyId>.<secret>)."),
            Failure.Invalid => ("invalid_token", "The API key is unknown, revoked or wrong."),
            _ => (null, "An API key is required: send \"Authorization: Bearer <keyId>.<secret>\" (or X-Api-Key)."),
        };
        Response.Headers.WWWAuthenticate = error is null ? "Bearer realm=\"commsgw\"" : $"Bearer realm=\"commsgw\", error=\"{error}\"";
        return Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, failure switch
        {
            Failure.Malformed => Problems.AuthMalformed,
            Failure.Invalid => Problems.AuthInvalid,
            _ => Problems.AuthMissing,
        }, detail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, Problems.Forbidden,
            Context.User.IsInRole(OperatorRole)
                ? "An operator key manages clinics; use the clinic's own key for its patients, consents and campaigns."
                : "This endpoint needs an operator key (commsgw tenant operator-key issue).");
}

/// <summary>The caller of an admin endpoint, read from the authenticated key.</summary>
internal static class AdminCaller
{
    public static string Tenant(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim) ?? throw new InvalidOperationException("No tenant claim");

    /// <summary>"key:ck_... (label)" plus the optional X-Actor header naming the person behind the key.</summary>
    public static Actor Actor(this HttpContext http)
    {
        var keyId = http.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim);
        var label = http.User.FindFirstValue(ClaimTypes.Name);
        var onBehalf = http.Request.Headers["X-Actor"].ToString();
        return new Actor($"key:{keyId} ({label})", string.IsNullOrWhiteSpace(onBehalf) ? null : onBehalf.Trim()[..Math.Min(onBehalf.Trim().Length, 200)]);
    }
}

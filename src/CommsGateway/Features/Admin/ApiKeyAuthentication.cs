using System.Security.Claims;
using System.Text.Encodings.Web;
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

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? presented = null;
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = authorization["Bearer ".Length..].Trim();
        }
        else if (Request.Headers.TryGetValue("X-Api-Key", out var header))
        {
            presented = header.ToString().Trim();
        }

        if (string.IsNullOrEmpty(presented))
        {
            return AuthenticateResult.NoResult();
        }

        var identity = await tenants.AuthenticateAsync(presented, Context.RequestAborted);
        if (identity is null)
        {
            Logger.LogWarning("Rejected an admin API key (unknown id or wrong secret)");
            return AuthenticateResult.Fail("invalid API key");
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(TenantClaim, identity.TenantId),
            new Claim(KeyIdClaim, identity.KeyId),
            new Claim(ClaimTypes.Name, identity.Label),
        ], SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
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

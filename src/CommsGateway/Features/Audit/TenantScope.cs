using System.Security.Claims;

namespace CommsGateway.Features.Audit;

/// <summary>
/// The seam between the admin APIs and authentication: the caller's tenant is a claim set by the API-key
/// handler (branch consent, ApiKeyAuthenticationHandler.TenantClaim), never a query parameter, so one clinic
/// cannot read another's log (need-to-know access).
/// </summary>
public static class TenantScope
{
    /// <summary>Same value as ApiKeyAuthenticationHandler.TenantClaim.</summary>
    public const string TenantClaim = "commsgw:tenant";

    public static string? From(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.User.FindFirstValue(TenantClaim) is { Length: > 0 } tenant ? tenant : null;
    }

    /// <summary>Who is calling, for admin_audit: the key's label (its id when set by the API-key handler).</summary>
    public static string Actor(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.User.FindFirstValue("commsgw:key_id") ?? http.User.Identity?.Name ?? "unknown";
    }
}

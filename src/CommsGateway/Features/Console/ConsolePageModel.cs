using System.Security.Claims;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Audit;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace CommsGateway.Features.Console;

/// <summary>What every console page knows: the signed-in staff member, their clinic and role, the language.</summary>
public abstract class ConsolePageModel : PageModel
{
    private string? _lang;

    public string Lang => _lang ??= ConsoleText.Resolve(HttpContext);

    public bool Fr => Lang == "fr";

    /// <summary>French or English text, chosen by the page's language.</summary>
    public string T(string en, string fr) => Fr ? fr : en;

    public string Title { get; protected set; } = "CommsGateway";

    public string TenantId => User.FindFirstValue(ConsoleClaims.Tenant) ?? throw new InvalidOperationException("not signed in to the console");

    public string StaffEmail => User.FindFirstValue(ClaimTypes.Email) ?? "";

    public string StaffName => User.FindFirstValue(ClaimTypes.Name) ?? StaffEmail;

    public string Role => User.FindFirstValue(ClaimTypes.Role) ?? "";

    public bool SignedIn => User.Identity?.AuthenticationType == ConsoleAuth.Scheme;

    public bool May(string policy) => ConsolePolicies.Allows(User, policy);

    /// <summary>Who acts, for admin_audit and the ledger's recorded_by: "console:&lt;email&gt; (role)".</summary>
    public Actor Actor => new($"console:{StaffEmail} ({Role})");

    public string? ClientIp => HttpContext.Connection.RemoteIpAddress?.ToString();

    /// <summary>Appends to the access log before the page shows the data (a failure to log shows nothing).</summary>
    protected Task LogAccessAsync(string? patientId, string what, string? detail) =>
        HttpContext.RequestServices.GetRequiredService<AccessLog>()
            .AppendAsync(new AccessEntry(TenantId, StaffEmail, Role, patientId, what, detail, ClientIp), HttpContext.RequestAborted);

    protected Task LogAccessAsync(IEnumerable<string> patientIds, string what, string? detail) =>
        HttpContext.RequestServices.GetRequiredService<AccessLog>()
            .AppendAsync([.. patientIds.Distinct(StringComparer.Ordinal).Select(p => new AccessEntry(TenantId, StaffEmail, Role, p, what, detail, ClientIp))],
                HttpContext.RequestAborted);

    public static string Local(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Local(DateTime at) => Local(new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)));
}

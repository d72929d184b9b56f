using System.Security.Claims;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Console.Staff;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace CommsGateway.Features.Console.Account;

/// <summary>
/// Address, password and the authenticator's code in one form. An account that has not enrolled its second factor
/// yet goes to <see cref="EnrollModel"/> with a short-lived, signed ticket (never signed in without a code).
/// </summary>
[EnableRateLimiting(ConsoleAuth.SignInRateLimit)]
public sealed class SignInModel(StaffAccounts staff, AccessLog accessLog, IDataProtectionProvider protection) : ConsolePageModel
{
    internal const string TicketPurpose = "commsgw.console.enrolment";

    [BindProperty] public string Email { get; set; } = "";

    [BindProperty] public string Password { get; set; } = "";

    [BindProperty] public string? Code { get; set; }

    public string? Error { get; private set; }

    public IActionResult OnGet()
    {
        Title = T("Sign in", "Connexion");
        return SignedIn ? Redirect("/console") : Page();
    }

    public async Task<IActionResult> OnPostAsync(string? returnUrl, CancellationToken ct)
    {
        Title = T("Sign in", "Connexion");
        var result = await staff.SignInAsync(Email, Password, Code, ct);
        if (result.Account is { } account)
        {
            await accessLog.AppendAsync(new AccessEntry(account.TenantId, account.Email, account.Role, null,
                result.Status == SignInStatus.SignedIn ? "signin" : result.Status == SignInStatus.LockedOut ? "signin.locked" : result.Status == SignInStatus.EnrolmentNeeded ? "signin.enrol" : "signin.failed",
                null, ClientIp), ct);
        }

        switch (result.Status)
        {
            case SignInStatus.SignedIn:
                await SignInAsync(HttpContext, result.Account!);
                return LocalRedirect(returnUrl is { Length: > 0 } r && Url.IsLocalUrl(r) && r.StartsWith("/console", StringComparison.Ordinal) ? r : "/console");
            case SignInStatus.EnrolmentNeeded:
                var ticket = protection.CreateProtector(TicketPurpose).ToTimeLimitedDataProtector()
                    .Protect(result.Account!.StaffId.ToString(System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMinutes(10));
                return RedirectToPage("/Console/Account/Enroll", new { ticket });
            case SignInStatus.LockedOut:
                Error = T($"Too many failed attempts: this account is locked for {StaffAccounts.LockoutDuration.TotalMinutes:0} minutes.",
                    $"Trop d'échecs : ce compte est bloqué pendant {StaffAccounts.LockoutDuration.TotalMinutes:0} minutes.");
                break;
            default:
                Error = T("The address, password or code is wrong.", "L'adresse, le mot de passe ou le code est incorrect.");
                break;
        }

        Password = "";
        Code = null;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Page();
    }

    internal static Task SignInAsync(HttpContext http, StaffView account)
    {
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Email, account.Email), new Claim(ClaimTypes.Name, account.DisplayName),
            new Claim(ClaimTypes.Role, account.Role), new Claim(ConsoleClaims.Tenant, account.TenantId),
            new Claim(ConsoleClaims.StaffId, account.StaffId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], ConsoleAuth.Scheme);
        return http.SignInAsync(ConsoleAuth.Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
    }
}

using System.Globalization;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Console.Staff;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using QRCoder;

namespace CommsGateway.Features.Console.Account;

/// <summary>
/// Second-factor enrolment after a correct password: the QR code of the account's TOTP secret (a PNG data URI, no
/// script), then a first code from the app confirms it and signs in. The ticket is signed and expires in 10 minutes.
/// </summary>
[EnableRateLimiting(ConsoleAuth.SignInRateLimit)]
public sealed class EnrollModel(StaffAccounts staff, AccessLog accessLog, IDataProtectionProvider protection) : ConsolePageModel
{
    [BindProperty(SupportsGet = true)] public string Ticket { get; set; } = "";

    [BindProperty] public string Code { get; set; } = "";

    public string QrDataUri { get; private set; } = "";

    public string Secret { get; private set; } = "";

    public string? Error { get; private set; }

    private long? StaffIdOfTicket()
    {
        try
        {
            var id = protection.CreateProtector(SignInModel.TicketPurpose).ToTimeLimitedDataProtector().Unprotect(Ticket);
            return long.Parse(id, CultureInfo.InvariantCulture);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await ShowAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (StaffIdOfTicket() is not { } staffId)
        {
            return RedirectToPage("/Console/Account/SignIn");
        }

        if (await staff.ConfirmEnrolmentAsync(staffId, Code, ct))
        {
            var account = (await staff.FindByIdAsync(staffId, ct))!;
            await accessLog.AppendAsync(new AccessEntry(account.TenantId, account.Email, account.Role, null, "signin.enrolled", null, ClientIp), ct);
            await SignInModel.SignInAsync(HttpContext, account);
            return Redirect("/console");
        }

        Error = T("That code is not the current one: check the time on your phone and try again.",
            "Ce code n'est pas le code actuel : vérifiez l'heure de votre téléphone et réessayez.");
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return await ShowAsync(ct);
    }

    private async Task<IActionResult> ShowAsync(CancellationToken ct)
    {
        Title = T("Set up your second factor", "Activer la double authentification");
        if (StaffIdOfTicket() is not { } staffId || await staff.EnrolmentUriAsync(staffId, ct) is not { } uri)
        {
            return RedirectToPage("/Console/Account/SignIn");
        }

        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        QrDataUri = "data:image/png;base64," + Convert.ToBase64String(new PngByteQRCode(data).GetGraphic(6));
        Secret = System.Web.HttpUtility.ParseQueryString(new Uri(uri).Query)["secret"] ?? "";
        return Page();
    }
}

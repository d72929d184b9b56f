using CommsGateway.Features.Console.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace CommsGateway.Features.Console.Team;

/// <summary>The clinic admin manages the clinic's staff: add (the password and TOTP key are shown once), role, disable, reset the second factor.</summary>
[Authorize(Policy = ConsolePolicies.Staff)]
public sealed class IndexModel(StaffAccounts staff) : ConsolePageModel
{
    public IReadOnlyList<StaffView> Accounts { get; private set; } = [];

    public StaffCredentials? Created { get; private set; }

    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Title = T("Staff", "Équipe");
        Accounts = await staff.ListAsync(TenantId, ct);
    }

    public async Task<IActionResult> OnPostAddAsync(string email, string name, string role, CancellationToken ct)
    {
        try
        {
            Created = await staff.AddAsync(TenantId, email, string.IsNullOrWhiteSpace(name) ? email : name.Trim(), role, null, Actor, ct);
        }
        catch (ArgumentException e)
        {
            Error = e.Message;
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation)
        {
            Error = T("An account with this address exists.", "Un compte existe déjà avec cette adresse.");
            Response.StatusCode = StatusCodes.Status409Conflict;
        }

        await OnGetAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRoleAsync(string email, string role, CancellationToken ct)
    {
        if (!StaffRoles.IsValid(role) || !await staff.SetRoleAsync(email, role, TenantId, Actor, ct))
        {
            return NotFound();
        }

        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDisableAsync(string email, CancellationToken ct) =>
        await staff.DisableAsync(email, TenantId, Actor, ct) ? RedirectToPage() : NotFound();

    public async Task<IActionResult> OnPostResetTotpAsync(string email, CancellationToken ct)
    {
        if (await staff.ResetTotpAsync(email, TenantId, Actor, ct) is null)
        {
            return NotFound();
        }

        return RedirectToPage();
    }
}

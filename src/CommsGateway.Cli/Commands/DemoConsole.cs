using CommsGateway.Features.Admin;
using CommsGateway.Features.Console.Staff;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// The demo's staff console accounts, one per role, with passwords and TOTP keys that are public on purpose (the demo
/// runs in Development only, like its committed keys): a newcomer signs in with what the demo prints.
/// </summary>
internal static class DemoConsole
{
    public sealed record DemoAccount(string Email, string Role, string Name, string Password, string TotpSecret);

    public static readonly IReadOnlyList<DemoAccount> Accounts =
    [
        new("dpo@demo-clinic.example", StaffRoles.Dpo, "Dora DPO", "demo-dpo-password", "JBSWY3DPEHPK3PXPDEMODPO2"),
        new("marketing@demo-clinic.example", StaffRoles.Marketing, "Marc Marketing", "demo-marketing-password", "JBSWY3DPEHPK3PXPDEMOMKT2"),
        new("reception@demo-clinic.example", StaffRoles.Reception, "Rita Reception", "demo-reception-password", "JBSWY3DPEHPK3PXPDEMOREC2"),
        new("admin@demo-clinic.example", StaffRoles.Admin, "Adam Admin", "demo-admin-password", "JBSWY3DPEHPK3PXPDEMOADM2"),
    ];

    /// <summary>Creates the accounts that do not exist yet (a demo run again keeps them, and their keys).</summary>
    public static async Task SeedAsync(IServiceProvider services, string tenant, CancellationToken ct)
    {
        var staff = services.GetRequiredService<StaffAccounts>();
        foreach (var account in Accounts)
        {
            if (await staff.FindAsync(account.Email, ct) is null)
            {
                await staff.AddAsync(tenant, account.Email, account.Name, account.Role, account.Password, new Actor("demo"), ct,
                    enrolled: true, totpSecret: account.TotpSecret);
            }
        }
    }

    public static void Print(string baseUrl)
    {
        AnsiConsole.MarkupLine("[bold]Staff console[/] (sign in with one account per role; add the TOTP key to an authenticator app,");
        AnsiConsole.MarkupLine("or print the current code with: [grey]DOTNET_ENVIRONMENT=Development dotnet src/CommsGateway.Cli/bin/Release/net10.0/commsgw.dll staff totp-code <email>[/])");
        Console.WriteLine($"  {baseUrl.TrimEnd('/')}/console");
        foreach (var a in Accounts)
        {
            Console.WriteLine($"  {a.Role,-10} {a.Email,-32} password {a.Password,-24} TOTP key {a.TotpSecret}");
        }

        AnsiConsole.MarkupLine("  Try: sign in as dpo, settle the held message (Review queue), open a Blocked decision (Why?), then the Access log.");
    }
}

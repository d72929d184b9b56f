using System.CommandLine;
using System.Globalization;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Console;
using CommsGateway.Features.Console.Staff;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// `commsgw staff add|list|set-role|disable|reset-totp|totp-code`: the console's staff accounts, through the console's
/// own <see cref="StaffAccounts"/>. Exit codes: 0 done, 2 refused input, 3 no such account.
/// </summary>
internal static class StaffCommand
{
    public const int ExitRefused = 2;
    public const int ExitNotFound = 3;

    public static Command Create()
    {
        var staff = new Command("staff", "Staff accounts of the web console (password + TOTP second factor, one role each)");
        staff.Subcommands.Add(Add());
        staff.Subcommands.Add(List());
        staff.Subcommands.Add(SetRole());
        staff.Subcommands.Add(Disable());
        staff.Subcommands.Add(ResetTotp());
        staff.Subcommands.Add(TotpCode());
        return staff;
    }

    private static Argument<string> EmailArgument() => new("email") { Description = "The staff member's email address (their sign-in)" };

    private static Task<int> WithAccountsAsync(Func<StaffAccounts, Task<int>> body, CancellationToken ct) =>
        CliHost.RunAsync(services => body(new StaffAccounts(services.GetRequiredService<NpgsqlDataSource>(), TimeProvider.System,
            services.GetRequiredService<IDataProtectionProvider>())), ct, builder => builder.AddConsoleDataProtection());

    private static Command Add()
    {
        var email = EmailArgument();
        var tenant = CliHost.TenantOption();
        var role = new Option<string>("--role") { Description = "admin, dpo, marketing or reception", Required = true };
        var name = new Option<string?>("--name") { Description = "Display name (default: the address)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (else one is generated and printed)" };
        var actor = CliHost.ActorOption();
        var command = new Command("add", "Create a staff account; prints the password (when generated) and the TOTP key to enrol") { email, tenant, role, name, passwordStdin, actor };
        command.SetAction((parse, ct) => WithAccountsAsync(async accounts =>
        {
            var password = parse.GetValue(passwordStdin) ? (await Console.In.ReadLineAsync(ct))?.Trim() : null;
            try
            {
                var created = await accounts.AddAsync(parse.GetValue(tenant)!, parse.GetValue(email)!, parse.GetValue(name) ?? parse.GetValue(email)!,
                    parse.GetValue(role)!, password, Actor.Cli(parse.GetValue(actor)), ct);
                Console.WriteLine($"Added {created.Email} ({parse.GetValue(role)}) to {parse.GetValue(tenant)}");
                if (password is null)
                {
                    Console.WriteLine($"  password:  {created.Password}");
                }

                Console.WriteLine($"  TOTP key:  {created.TotpSecret}   (or scan the QR code shown at the first sign-in)");
                Console.WriteLine($"  otpauth:   {created.OtpAuthUri}");
                return 0;
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync("commsgw: " + e.Message.Split(" (Parameter", 2)[0]);
                return ExitRefused;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                await Console.Error.WriteLineAsync($"commsgw: an account with the address {parse.GetValue(email)} exists");
                return ExitRefused;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                await Console.Error.WriteLineAsync($"commsgw: no clinic {parse.GetValue(tenant)} (commsgw tenant add)");
                return ExitRefused;
            }
        }, ct));
        return command;
    }

    private static Command List()
    {
        var tenant = CliHost.TenantOption();
        var command = new Command("list", "The clinic's staff accounts, their role and state") { tenant };
        command.SetAction((parse, ct) => WithAccountsAsync(async accounts =>
        {
            foreach (var a in await accounts.ListAsync(parse.GetValue(tenant)!, ct))
            {
                var state = a.Disabled ? "disabled" : a.LockedUntil > DateTimeOffset.UtcNow ? "locked" : "active";
                Console.WriteLine($"{a.Email,-40} {a.Role,-10} {state,-8} {(a.Enrolled ? "totp enrolled" : "totp not enrolled")}  {a.DisplayName}");
            }

            return 0;
        }, ct));
        return command;
    }

    private static Command SetRole()
    {
        var email = EmailArgument();
        var role = new Option<string>("--role") { Description = "admin, dpo, marketing or reception", Required = true };
        var actor = CliHost.ActorOption();
        var command = new Command("set-role", "Change an account's role (applies at its next request)") { email, role, actor };
        command.SetAction((parse, ct) => WithAccountsAsync(async accounts =>
        {
            if (!StaffRoles.IsValid(parse.GetValue(role)))
            {
                await Console.Error.WriteLineAsync($"commsgw: role must be one of {string.Join(", ", StaffRoles.All)}");
                return ExitRefused;
            }

            return await Report(await accounts.SetRoleAsync(parse.GetValue(email)!, parse.GetValue(role)!, null, Actor.Cli(parse.GetValue(actor)), ct),
                $"{parse.GetValue(email)} is now {parse.GetValue(role)}", parse.GetValue(email)!);
        }, ct));
        return command;
    }

    private static Command Disable()
    {
        var email = EmailArgument();
        var actor = CliHost.ActorOption();
        var command = new Command("disable", "Disable an account (its session ends at its next request)") { email, actor };
        command.SetAction((parse, ct) => WithAccountsAsync(async accounts =>
            await Report(await accounts.DisableAsync(parse.GetValue(email)!, null, Actor.Cli(parse.GetValue(actor)), ct),
                $"{parse.GetValue(email)} is disabled", parse.GetValue(email)!), ct));
        return command;
    }

    private static Command ResetTotp()
    {
        var email = EmailArgument();
        var actor = CliHost.ActorOption();
        var command = new Command("reset-totp", "Give an account a new TOTP key (lost phone): enrolled again at its next sign-in") { email, actor };
        command.SetAction((parse, ct) => WithAccountsAsync(async accounts =>
        {
            var reset = await accounts.ResetTotpAsync(parse.GetValue(email)!, null, Actor.Cli(parse.GetValue(actor)), ct);
            if (reset is null)
            {
                return await Report(false, "", parse.GetValue(email)!);
            }

            Console.WriteLine($"New TOTP key of {reset.Email}: {reset.TotpSecret} (the next sign-in shows its QR code)");
            return 0;
        }, ct));
        return command;
    }

    /// <summary>For a newcomer without an authenticator app on the demo: refused outside Development.</summary>
    private static Command TotpCode()
    {
        var email = EmailArgument();
        var command = new Command("totp-code", "Development only: print an account's current TOTP code") { email };
        command.SetAction(async (parse, ct) =>
        {
            if (!string.Equals(CliConfiguration.EnvironmentName, Environments.Development, StringComparison.OrdinalIgnoreCase))
            {
                await Console.Error.WriteLineAsync($"commsgw: staff totp-code is refused in the {CliConfiguration.EnvironmentName} environment (Development only): use the authenticator app");
                return ExitRefused;
            }

            return await WithAccountsAsync(async accounts =>
            {
                var code = await accounts.CurrentCodeAsync(parse.GetValue(email)!, ct);
                if (code is null)
                {
                    return await Report(false, "", parse.GetValue(email)!);
                }

                Console.WriteLine(code);
                return 0;
            }, ct);
        });
        return command;
    }

    private static async Task<int> Report(bool found, string done, string email)
    {
        if (!found)
        {
            await Console.Error.WriteLineAsync($"commsgw: no staff account {email}");
            return ExitNotFound;
        }

        Console.WriteLine(done);
        return 0;
    }
}

/// <summary>`commsgw access-log --tenant T [--patient X] [--staff Y] [--verify]`: who saw which patient's data in the console.</summary>
internal static class AccessLogCommand
{
    public static Command Create()
    {
        var tenant = CliHost.TenantOption();
        var patient = new Option<string?>("--patient") { Description = "Who viewed this patient" };
        var staff = new Option<string?>("--staff") { Description = "What this staff member (email) saw" };
        var limit = new Option<int>("--limit") { Description = "Newest entries shown", DefaultValueFactory = _ => 200 };
        var verify = new Option<bool>("--verify") { Description = "Re-compute the hash chain; exit 1 and name the first broken entry when it does not hold" };
        var command = new Command("access-log", "The console's access log (append-only, hash-chained)") { tenant, patient, staff, limit, verify };
        command.SetAction((parse, ct) => CliHost.RunAsync(async services =>
        {
            var log = new AccessLog(services.GetRequiredService<NpgsqlDataSource>(), TimeProvider.System);
            if (parse.GetValue(verify))
            {
                var report = await log.VerifyAsync(parse.GetValue(tenant)!, ct);
                Console.WriteLine(report.Intact
                    ? $"OK access log of {report.TenantId}: {report.RowsChecked} entries verified"
                    : $"BROKEN access log of {report.TenantId}: entry {report.FirstBrokenSeq}: {report.Problem}");
                return report.Intact ? 0 : 1;
            }

            foreach (var row in await log.QueryAsync(parse.GetValue(tenant)!, parse.GetValue(patient), parse.GetValue(staff), parse.GetValue(limit), ct))
            {
                Console.WriteLine(string.Join("  ", row.Seq.ToString(CultureInfo.InvariantCulture), row.AtUtc.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    row.StaffEmail, row.StaffRole, row.PatientId ?? "-", row.What, row.Detail ?? "", row.FromIp ?? ""));
            }

            return 0;
        }, ct));
        return command;
    }
}

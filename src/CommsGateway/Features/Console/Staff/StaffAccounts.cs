using System.Security.Cryptography;
using CommsGateway.Features.Admin;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using OtpNet;

namespace CommsGateway.Features.Console.Staff;

/// <summary>The four console roles (need to know): what each may open is decided by <see cref="ConsolePolicies"/>.</summary>
public static class StaffRoles
{
    public const string Admin = "admin";
    public const string Dpo = "dpo";
    public const string Marketing = "marketing";
    public const string Reception = "reception";

    public static readonly IReadOnlyList<string> All = [Admin, Dpo, Marketing, Reception];

    public static bool IsValid(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);
}

/// <summary>A staff account as listed (never its password hash or TOTP secret).</summary>
public sealed record StaffView(long StaffId, string TenantId, string Email, string DisplayName, string Role, bool Enrolled, bool Disabled,
    DateTimeOffset? LockedUntil, DateTimeOffset CreatedAt);

/// <summary>A new account or a reset second factor: the secret is shown once, to enrol an authenticator app.</summary>
public sealed record StaffCredentials(string Email, string Password, string TotpSecret, string OtpAuthUri);

public enum SignInStatus
{
    SignedIn,

    /// <summary>Password right, second factor not enrolled yet: show the QR code and confirm a first code.</summary>
    EnrolmentNeeded,
    Failed,
    LockedOut,
}

/// <summary>The outcome of a sign-in attempt; <see cref="Account"/> is set when the address names an account.</summary>
public sealed record SignInResult(SignInStatus Status, StaffView? Account);

/// <summary>
/// Staff accounts of the console: passwords hashed with ASP.NET Core's PasswordHasher (PBKDF2), a TOTP second factor
/// required for every account (RFC 6238, 30 s, 6 digits; a code is accepted once), a lockout after repeated failures.
/// Used by the console's sign-in and by `commsgw staff`. TOTP secrets are stored protected by ASP.NET Core Data
/// Protection (<see cref="SecretPurpose"/>, the console's key ring): a copy of the table alone does not give the codes.
/// </summary>
public sealed class StaffAccounts(NpgsqlDataSource dataSource, TimeProvider clock, IDataProtectionProvider protection)
{
    /// <summary>Data Protection purpose of the stored TOTP secrets.</summary>
    public const string SecretPurpose = "CommsGateway.Console.TotpSecret.v1";

    /// <summary>Marks a protected secret; a value without it is a secret stored in clear, protected again when read.</summary>
    public const string ProtectedPrefix = "dp1:";

    private readonly IDataProtector _secrets = protection.CreateProtector(SecretPurpose);

    /// <summary>Failed attempts in a row (wrong password or wrong code) that lock the account for <see cref="LockoutDuration"/>.</summary>
    public const int MaxFailures = 5;

    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    public const int MinPasswordLength = 12;

    private const string Issuer = "CommsGateway";

    private static readonly PasswordHasher<string> Hasher = new();

    private const string ViewColumns = """
        staff_id, tenant_id, email, display_name, role, totp_enrolled_at is not null as enrolled, disabled_at is not null as disabled,
        locked_until, created_at
        """;

    /// <summary>Creates an account with a fresh TOTP secret (not enrolled: the first sign-in shows its QR code).</summary>
    public async Task<StaffCredentials> AddAsync(string tenantId, string email, string displayName, string role, string? password, Actor actor,
        CancellationToken ct, bool enrolled = false, string? totpSecret = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!StaffRoles.IsValid(role))
        {
            throw new ArgumentException($"role must be one of {string.Join(", ", StaffRoles.All)}", nameof(role));
        }

        if (string.IsNullOrWhiteSpace(email) || !email.Contains('@', StringComparison.Ordinal))
        {
            throw new ArgumentException("an email address is required", nameof(email));
        }

        password ??= NewPassword();
        if (password.Length < MinPasswordLength)
        {
            throw new ArgumentException($"the password must have at least {MinPasswordLength} characters", nameof(password));
        }

        var secret = totpSecret ?? Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into staff_accounts (tenant_id, email, display_name, role, password_hash, totp_secret, totp_enrolled_at, created_by)
            values (@tenantId, @email, @displayName, @role, @hash, @secret, case when @enrolled then now() end, @by)
            """, new { tenantId, email = email.Trim(), displayName, role, hash = Hasher.HashPassword(email, password), secret = Protect(secret), enrolled, by = actor.ToString() },
            tx, cancellationToken: ct));
        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "staff.add", null, new { email, role }, ct);
        await tx.CommitAsync(ct);
        return new StaffCredentials(email.Trim(), password, secret, OtpAuthUri(tenantId, email.Trim(), secret));
    }

    public async Task<IReadOnlyList<StaffView>> ListAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. (await connection.QueryAsync<ViewRow>(new CommandDefinition(
            $"select {ViewColumns} from staff_accounts where tenant_id = @tenantId order by lower(email)", new { tenantId }, cancellationToken: ct)))
            .Select(r => r.ToView())];
    }

    public async Task<StaffView?> FindAsync(string email, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<ViewRow>(new CommandDefinition(
            $"select {ViewColumns} from staff_accounts where lower(email) = lower(@email)", new { email }, cancellationToken: ct));
        return row?.ToView();
    }

    public async Task<StaffView?> FindByIdAsync(long staffId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<ViewRow>(new CommandDefinition(
            $"select {ViewColumns} from staff_accounts where staff_id = @staffId", new { staffId }, cancellationToken: ct));
        return row?.ToView();
    }

    /// <summary>Changes the role; <paramref name="tenantId"/> set (the console's admin) limits it to that clinic. False when no such account.</summary>
    public Task<bool> SetRoleAsync(string email, string role, string? tenantId, Actor actor, CancellationToken ct) =>
        !StaffRoles.IsValid(role)
            ? throw new ArgumentException($"role must be one of {string.Join(", ", StaffRoles.All)}", nameof(role))
            : ChangeAsync(email, tenantId, actor, "staff.set-role", "role = @role", new { role }, ct);

    public Task<bool> DisableAsync(string email, string? tenantId, Actor actor, CancellationToken ct) =>
        ChangeAsync(email, tenantId, actor, "staff.disable", "disabled_at = coalesce(disabled_at, now())", null, ct);

    /// <summary>A new TOTP secret, not enrolled: the next sign-in shows its QR code. Null when no such account.</summary>
    public async Task<StaffCredentials?> ResetTotpAsync(string email, string? tenantId, Actor actor, CancellationToken ct)
    {
        var secret = Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));
        if (!await ChangeAsync(email, tenantId, actor, "staff.reset-totp", "totp_secret = @secret, totp_enrolled_at = null, totp_last_step = 0",
                new { secret = Protect(secret) }, ct))
        {
            return null;
        }

        var account = (await FindAsync(email, ct))!;
        return new StaffCredentials(account.Email, "", secret, OtpAuthUri(account.TenantId, account.Email, secret));
    }

    private async Task<bool> ChangeAsync(string email, string? tenantId, Actor actor, string action, string set, object? values, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var parameters = new DynamicParameters(values);
        parameters.Add("email", email);
        parameters.Add("tenantId", tenantId);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var tenant = await connection.ExecuteScalarAsync<string?>(new CommandDefinition($"""
            update staff_accounts set {set}
            where lower(email) = lower(@email) and (@tenantId::text is null or tenant_id = @tenantId)
            returning tenant_id
            """, parameters, tx, cancellationToken: ct));
        if (tenant is null)
        {
            return false;
        }

        await AdminAudit.WriteAsync(connection, tx, tenant, actor, action, null, new { email }, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Checks the password and, for an enrolled account, the code. Every failure counts towards the lockout, whichever
    /// part was wrong, and the answer never says which (nor whether the address exists).
    /// </summary>
    public async Task<SignInResult> SignInAsync(string email, string password, string? code, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<SecretRow>(new CommandDefinition(
            $"select {ViewColumns}, password_hash, totp_secret, totp_last_step from staff_accounts where lower(email) = lower(@email)",
            new { email }, cancellationToken: ct));
        if (row is null)
        {
            // Same work as for a real account, so the answer time does not tell which addresses exist.
            Hasher.VerifyHashedPassword(email, DummyHash, password);
            return new SignInResult(SignInStatus.Failed, null);
        }

        var now = clock.GetUtcNow();
        var view = row.ToView();
        if (row.Disabled)
        {
            return new SignInResult(SignInStatus.Failed, view);
        }

        if (view.LockedUntil is { } until && until > now)
        {
            return new SignInResult(SignInStatus.LockedOut, view);
        }

        var passwordOk = Hasher.VerifyHashedPassword(row.Email, row.PasswordHash, password) != PasswordVerificationResult.Failed;
        if (passwordOk && !row.Enrolled)
        {
            return new SignInResult(SignInStatus.EnrolmentNeeded, view);
        }

        long step = 0;
        var codeOk = passwordOk && code is { Length: > 0 } && VerifyCode(await RevealAsync(connection, row.StaffId, row.TotpSecret, ct), code, now, out step)
            && step > row.TotpLastStep;
        if (codeOk)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "update staff_accounts set failed_sign_ins = 0, locked_until = null, totp_last_step = @step where staff_id = @StaffId",
                new { step, row.StaffId }, cancellationToken: ct));
            return new SignInResult(SignInStatus.SignedIn, view);
        }

        var locked = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            update staff_accounts set failed_sign_ins = failed_sign_ins + 1,
                locked_until = case when failed_sign_ins + 1 >= @max then @until end
            where staff_id = @StaffId
            returning locked_until is not null
            """, new { max = MaxFailures, until = (now + LockoutDuration).UtcDateTime, row.StaffId }, cancellationToken: ct));
        return new SignInResult(locked ? SignInStatus.LockedOut : SignInStatus.Failed, view);
    }

    /// <summary>Confirms enrolment with a first code from the authenticator app; the account is then signed in.</summary>
    public async Task<bool> ConfirmEnrolmentAsync(long staffId, string code, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var stored = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select totp_secret from staff_accounts where staff_id = @staffId and totp_enrolled_at is null and disabled_at is null",
            new { staffId }, cancellationToken: ct));
        if (stored is null || !VerifyCode(await RevealAsync(connection, staffId, stored, ct), code, clock.GetUtcNow(), out var step))
        {
            return false;
        }

        return await connection.ExecuteAsync(new CommandDefinition(
            "update staff_accounts set totp_enrolled_at = now(), totp_last_step = @step, failed_sign_ins = 0 where staff_id = @staffId and totp_enrolled_at is null",
            new { staffId, step }, cancellationToken: ct)) == 1;
    }

    /// <summary>The otpauth:// URI of an account still enrolling (for its QR code), or null.</summary>
    public async Task<string?> EnrolmentUriAsync(long staffId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<(string TenantId, string Email, string Secret)?>(new CommandDefinition(
            "select tenant_id, email, totp_secret from staff_accounts where staff_id = @staffId and totp_enrolled_at is null and disabled_at is null",
            new { staffId }, cancellationToken: ct));
        return row is { } r ? OtpAuthUri(r.TenantId, r.Email, await RevealAsync(connection, staffId, r.Secret, ct)) : null;
    }

    /// <summary>The current code of an account (Development only: the CLI refuses it elsewhere). Null when no such account.</summary>
    public async Task<string?> CurrentCodeAsync(string email, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<(long StaffId, string Secret)?>(new CommandDefinition(
            "select staff_id, totp_secret from staff_accounts where lower(email) = lower(@email)", new { email }, cancellationToken: ct));
        return row is not { } r ? null
            : new Totp(Base32Encoding.ToBytes(await RevealAsync(connection, r.StaffId, r.Secret, ct))).ComputeTotp(clock.GetUtcNow().UtcDateTime);
    }

    /// <summary>
    /// Protects every secret still stored in clear (accounts created before secrets were protected); run at start-up
    /// after the migrations. Returns how many were protected.
    /// </summary>
    public async Task<int> ProtectClearSecretsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(long StaffId, string Secret)>(new CommandDefinition(
            "select staff_id, totp_secret from staff_accounts where totp_secret not like @prefix", new { prefix = ProtectedPrefix + "%" }, cancellationToken: ct));
        var count = 0;
        foreach (var (staffId, secret) in rows)
        {
            count += await ReprotectAsync(connection, staffId, secret, ct);
        }

        return count;
    }

    private string Protect(string secret) => ProtectedPrefix + _secrets.Protect(secret);

    /// <summary>The secret in clear; one still stored in clear is protected in place on the way.</summary>
    private async Task<string> RevealAsync(NpgsqlConnection connection, long staffId, string stored, CancellationToken ct)
    {
        if (stored.StartsWith(ProtectedPrefix, StringComparison.Ordinal))
        {
            return _secrets.Unprotect(stored[ProtectedPrefix.Length..]);
        }

        await ReprotectAsync(connection, staffId, stored, ct);
        return stored;
    }

    // Conditional on the clear value: a reset in between keeps its new secret.
    private async Task<int> ReprotectAsync(NpgsqlConnection connection, long staffId, string clear, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "update staff_accounts set totp_secret = @protectedSecret where staff_id = @staffId and totp_secret = @clear",
            new { staffId, clear, protectedSecret = Protect(clear) }, cancellationToken: ct));

    private static bool VerifyCode(string secret, string code, DateTimeOffset now, out long step) =>
        new Totp(Base32Encoding.ToBytes(secret)).VerifyTotp(now.UtcDateTime, code.Trim().Replace(" ", "", StringComparison.Ordinal), out step,
            VerificationWindow.RfcSpecifiedNetworkDelay);

    private static string OtpAuthUri(string tenantId, string email, string secret) =>
        $"otpauth://totp/{Uri.EscapeDataString(Issuer + " " + tenantId)}:{Uri.EscapeDataString(email)}?secret={secret}&issuer={Uri.EscapeDataString(Issuer)}&digits=6&period=30";

    /// <summary>16 random characters from an alphabet without look-alikes (0/O, 1/l/I).</summary>
    public static string NewPassword()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return RandomNumberGenerator.GetString(alphabet, 16);
    }

    private static readonly string DummyHash = Hasher.HashPassword("nobody", "not a password of anyone");

    private record ViewRow
    {
        public long StaffId { get; init; }
        public string TenantId { get; init; } = "";
        public string Email { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string Role { get; init; } = "";
        public bool Enrolled { get; init; }
        public bool Disabled { get; init; }
        public DateTime? LockedUntil { get; init; }
        public DateTime CreatedAt { get; init; }

        public StaffView ToView() => new(StaffId, TenantId, Email, DisplayName, Role, Enrolled, Disabled,
            LockedUntil is { } l ? new DateTimeOffset(DateTime.SpecifyKind(l, DateTimeKind.Utc)) : null,
            new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)));
    }

    private sealed record SecretRow : ViewRow
    {
        public string PasswordHash { get; init; } = "";
        public string TotpSecret { get; init; } = "";
        public long TotpLastStep { get; init; }
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CommsGateway.Core.Policy;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Admin;

/// <summary>A clinic as the gateway knows it: its policy settings and the region national phone numbers are read in.</summary>
public sealed record TenantInfo(string TenantId, string Name, TenantPolicySettings Settings, string DefaultRegion);

/// <summary>An API key's public part, resolved from a presented key.</summary>
public sealed record ApiKeyIdentity(string KeyId, string TenantId, string Label);

/// <summary>An API key as an operator lists it: never its secret.</summary>
public sealed record ApiKeyInfo(string KeyId, string Label, string CreatedBy, DateTime CreatedAt, DateTime? RevokedAt);

/// <summary>Tenants and their admin API keys. Keys are "&lt;keyId&gt;.&lt;secret&gt;"; only SHA-256(secret) is stored.</summary>
public sealed class TenantDirectory(NpgsqlDataSource dataSource)
{
    public async Task<TenantInfo?> FindAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<(string TenantId, string Name, string Settings)>(new CommandDefinition(
            "select tenant_id, name, settings::text from tenants where tenant_id = @tenantId", new { tenantId }, cancellationToken: ct));
        return row.TenantId is null ? null : new TenantInfo(row.TenantId, row.Name, TenantSettings.Read(row.Settings), TenantSettings.DefaultRegion(row.Settings));
    }

    /// <summary>Creates the tenant (or updates its name and settings) and issues a new API key, returned once in clear.</summary>
    public async Task<string> AddTenantAsync(string tenantId, string name, IReadOnlyDictionary<string, object?> settings, string keyLabel, Actor actor, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into tenants (tenant_id, name, settings) values (@tenantId, @name, @settings::jsonb)
            on conflict (tenant_id) do update set name = excluded.name, settings = tenants.settings || excluded.settings
            """, new { tenantId, name, settings = JsonSerializer.Serialize(settings) }, tx, cancellationToken: ct));
        var (_, key) = await IssueKeyAsync(connection, tx, tenantId, keyLabel, actor, ct);
        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "tenant.add", null, new { name, settings = settings.Keys, keyLabel }, ct);
        await tx.CommitAsync(ct);
        return key;
    }

    /// <summary>
    /// Merges policy settings into an existing tenant's (keys not given keep their value; the name and keys are
    /// untouched). False when there is no such tenant.
    /// </summary>
    public async Task<bool> UpdateSettingsAsync(string tenantId, IReadOnlyDictionary<string, object?> settings, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "update tenants set settings = settings || @settings::jsonb where tenant_id = @tenantId",
            new { tenantId, settings = JsonSerializer.Serialize(settings) }, tx, cancellationToken: ct)) == 1;
        if (updated)
        {
            await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "tenant.settings", null, new { settings }, ct);
        }

        await tx.CommitAsync(ct);
        return updated;
    }

    /// <summary>Issues another key for an existing tenant (to rotate: issue, switch the client, revoke the old one).</summary>
    public async Task<string?> IssueAdditionalKeyAsync(string tenantId, string label, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "select tenant_id from tenants where tenant_id = @tenantId", new { tenantId }, tx, cancellationToken: ct)) is null)
        {
            return null;
        }

        var (keyId, key) = await IssueKeyAsync(connection, tx, tenantId, label, actor, ct);
        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "apikey.issue", null, new { keyId, label }, ct);
        await tx.CommitAsync(ct);
        return key;
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<ApiKeyInfo>(new CommandDefinition("""
            select key_id, label, created_by, created_at, revoked_at
            from api_keys where tenant_id = @tenantId order by created_at, key_id
            """, new { tenantId }, cancellationToken: ct))];
    }

    /// <summary>
    /// Revokes a key of this tenant (a leaked or departed client's): refused from the next request on. False when the
    /// tenant has no such live key. Revocation is final; the row stays, with its date, for the audit trail.
    /// </summary>
    public async Task<bool> RevokeKeyAsync(string tenantId, string keyId, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var revoked = await connection.ExecuteAsync(new CommandDefinition("""
            update api_keys set revoked_at = now() where tenant_id = @tenantId and key_id = @keyId and revoked_at is null
            """, new { tenantId, keyId }, tx, cancellationToken: ct)) == 1;
        if (revoked)
        {
            await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "apikey.revoke", null, new { keyId }, ct);
        }

        await tx.CommitAsync(ct);
        return revoked;
    }

    /// <summary>Returns the key's id and, once, the whole key "&lt;keyId&gt;.&lt;secret&gt;".</summary>
    private static async Task<(string KeyId, string Key)> IssueKeyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string tenantId, string label, Actor actor, CancellationToken ct)
    {
        var keyId = "ck_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into api_keys (key_id, tenant_id, secret_sha256, label, created_by)
            values (@keyId, @tenantId, @hash, @label, @createdBy)
            """, new { keyId, tenantId, hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret)), label, createdBy = actor.ToString() }, tx, cancellationToken: ct));
        return (keyId, keyId + "." + secret);
    }

    /// <summary>Resolves "&lt;keyId&gt;.&lt;secret&gt;": looked up by id, the secret compared by hash in constant time.</summary>
    public async Task<ApiKeyIdentity?> AuthenticateAsync(string presented, CancellationToken ct)
    {
        var dot = presented.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == presented.Length - 1 || presented.Length > 200)
        {
            return null;
        }

        var keyId = presented[..dot];
        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented[(dot + 1)..]));
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<(string KeyId, string TenantId, string Label, byte[] SecretSha256)>(new CommandDefinition("""
            select key_id, tenant_id, label, secret_sha256 from api_keys where key_id = @keyId and revoked_at is null
            """, new { keyId }, cancellationToken: ct));
        // Hash a dummy when the id is unknown, so timing does not tell "no such key" from "wrong secret".
        var stored = row.SecretSha256 ?? new byte[32];
        var match = CryptographicOperations.FixedTimeEquals(stored, presentedHash);
        return row.KeyId is not null && match ? new ApiKeyIdentity(row.KeyId, row.TenantId, row.Label) : null;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Reads tenants.settings (snake_case jsonb) into the policy's settings; missing or bad keys keep the defaults.</summary>
public static class TenantSettings
{
    public static TenantPolicySettings Read(string? json)
    {
        var settings = TenantPolicySettings.Default;
        if (string.IsNullOrWhiteSpace(json))
        {
            return settings;
        }

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (Int(root, "consent_lapse_months") is { } lapse and > 0)
        {
            settings = settings with { ConsentLapseMonths = lapse };
        }

        if (Text(root, "time_zone") is { } zone && TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            settings = settings with { TimeZone = zone };
        }

        if (Text(root, "holiday_country") is { Length: 2 } country)
        {
            settings = settings with { HolidayCountry = country.ToUpperInvariant() };
        }

        if (Text(root, "marketing_window_start") is { } start && TimeOnly.TryParse(start, CultureInfo.InvariantCulture, out var s))
        {
            settings = settings with { MarketingWindowStart = s };
        }

        if (Text(root, "marketing_window_end") is { } end && TimeOnly.TryParse(end, CultureInfo.InvariantCulture, out var e))
        {
            settings = settings with { MarketingWindowEnd = e };
        }

        if (Int(root, "marketing_frequency_cap_per_7_days") is { } cap and >= 0)
        {
            settings = settings with { MarketingFrequencyCapPer7Days = cap };
        }

        if (Bool(root, "marketing_on_sundays") is { } sundays)
        {
            settings = settings with { MarketingOnSundays = sundays };
        }

        if (Bool(root, "quiet_hours_for_email") is { } email)
        {
            settings = settings with { QuietHoursForEmail = email };
        }

        if (Bool(root, "whatsapp_window_enforced") is { } window)
        {
            settings = settings with { WhatsAppWindowEnforced = window };
        }

        return settings;
    }

    /// <summary>ISO region national phone numbers are read in ("FR" unless the clinic says otherwise).</summary>
    public static string DefaultRegion(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return "FR";
        }

        using var document = JsonDocument.Parse(json);
        return Text(document.RootElement, "default_region") is { Length: 2 } region ? region.ToUpperInvariant() : "FR";
    }

    private static string? Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    private static bool? Bool(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CommsGateway.Core.Policy;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Admin;

/// <summary>A clinic as the gateway knows it: its policy settings and the region national phone numbers are read in.</summary>
public sealed record TenantInfo(string TenantId, string Name, TenantPolicySettings Settings, string DefaultRegion)
{
    /// <summary>Who the clinic sends as; a channel without an identity is blocked (NoSenderIdentity).</summary>
    public ClinicSender Sender { get; init; } = ClinicSender.None;

    /// <summary>Answered to HELP / AIDE / INFO after the clinic's name.</summary>
    public string? HelpContact { get; init; }
}

/// <summary>An API key's public part, resolved from a presented key. An operator key has no tenant.</summary>
public sealed record ApiKeyIdentity(string KeyId, string? TenantId, string Label)
{
    public bool IsOperator => TenantId is null;
}

/// <summary>The outcome of a change to a clinic's sender identity: found or not, and the fields refused.</summary>
public sealed record IdentityUpdate(bool Found, IReadOnlyList<string> Errors)
{
    public bool Ok => Found && Errors.Count == 0;
}

/// <summary>An API key as an operator lists it: never its secret.</summary>
public sealed record ApiKeyInfo(string KeyId, string Label, string CreatedBy, DateTime CreatedAt, DateTime? RevokedAt);

/// <summary>Tenants and their admin API keys. Keys are "&lt;keyId&gt;.&lt;secret&gt;"; only SHA-256(secret) is stored.</summary>
public sealed class TenantDirectory(NpgsqlDataSource dataSource)
{
    /// <summary>The stored identity columns, as <see cref="ClinicSender"/> properties plus help_contact.</summary>
    internal const string IdentityColumns = """
        email_from, email_from_name, reply_to, sms_from, messaging_service_sid, whatsapp_from,
        whatsapp_marketing_content_sid, whatsapp_unsubscribe_variable, help_contact
        """;

    public async Task<TenantInfo?> FindAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<TenantRow>(new CommandDefinition(
            $"select tenant_id, name, settings::text as settings, {IdentityColumns} from tenants where tenant_id = @tenantId",
            new { tenantId }, cancellationToken: ct));
        return row is null ? null : new TenantInfo(row.TenantId, row.Name, TenantSettings.Read(row.Settings), TenantSettings.DefaultRegion(row.Settings))
        {
            Sender = row.ToSender(),
            HelpContact = row.HelpContact,
        };
    }

    /// <summary>
    /// Creates the tenant (or updates its name and settings) with its sender identity, and issues a new API key,
    /// returned once in clear. Sender fields not given keep their stored value on an existing tenant.
    /// </summary>
    public async Task<string> AddTenantAsync(string tenantId, string name, IReadOnlyDictionary<string, object?> settings, ClinicSender sender,
        string keyLabel, Actor actor, CancellationToken ct, string? helpContact = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(sender);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into tenants (tenant_id, name, settings, email_from, email_from_name, reply_to, sms_from, messaging_service_sid,
                                 whatsapp_from, whatsapp_marketing_content_sid, whatsapp_unsubscribe_variable, help_contact)
            values (@tenantId, @name, @settings::jsonb, @EmailFrom, @EmailFromName, @ReplyTo, @SmsFrom, @MessagingServiceSid,
                    @WhatsAppFrom, @WhatsAppMarketingContentSid, @WhatsAppUnsubscribeVariable, @helpContact)
            on conflict (tenant_id) do update set name = excluded.name, settings = tenants.settings || excluded.settings,
                email_from = coalesce(excluded.email_from, tenants.email_from),
                email_from_name = coalesce(excluded.email_from_name, tenants.email_from_name),
                reply_to = coalesce(excluded.reply_to, tenants.reply_to),
                sms_from = coalesce(excluded.sms_from, tenants.sms_from),
                messaging_service_sid = coalesce(excluded.messaging_service_sid, tenants.messaging_service_sid),
                whatsapp_from = coalesce(excluded.whatsapp_from, tenants.whatsapp_from),
                whatsapp_marketing_content_sid = coalesce(excluded.whatsapp_marketing_content_sid, tenants.whatsapp_marketing_content_sid),
                whatsapp_unsubscribe_variable = coalesce(excluded.whatsapp_unsubscribe_variable, tenants.whatsapp_unsubscribe_variable),
                help_contact = coalesce(excluded.help_contact, tenants.help_contact)
            """, new
        {
            tenantId, name, settings = JsonSerializer.Serialize(settings), sender.EmailFrom, sender.EmailFromName, sender.ReplyTo,
            sender.SmsFrom, sender.MessagingServiceSid, sender.WhatsAppFrom, sender.WhatsAppMarketingContentSid,
            sender.WhatsAppUnsubscribeVariable, helpContact,
        }, tx, cancellationToken: ct));
        var (_, key) = await IssueKeyAsync(connection, tx, tenantId, keyLabel, actor, ct);
        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "tenant.add", null, new { name, settings = settings.Keys, sender, helpContact, keyLabel }, ct);
        await tx.CommitAsync(ct);
        return key;
    }

    /// <summary>Every field <see cref="UpdateIdentityAsync"/> takes: the sender fields and help_contact.</summary>
    public static readonly IReadOnlyList<string> IdentityFields = [.. ClinicSender.Fields, "help_contact"];

    /// <summary>Null when the value is acceptable for the identity field, else why not.</summary>
    public static string? CheckIdentityField(string field, string? value) => field == "help_contact"
        ? value is { Length: > 300 } || Core.Validation.Identifiers.FirstForbidden(value) is not null
            ? "help_contact: at most 300 characters, no control, bidi or zero-width characters" : null
        : ClinicSender.Check(field, value);

    /// <summary>
    /// Sets the given sender-identity fields (snake_case names of <see cref="IdentityFields"/>; an empty value clears
    /// one) of an existing clinic, effective for the next decision: nothing is cached. Recorded in admin_audit.
    /// </summary>
    public async Task<IdentityUpdate> UpdateIdentityAsync(string tenantId, IReadOnlyDictionary<string, string?> fields, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(actor);
        var errors = fields.Select(f => IdentityFields.Contains(f.Key) ? CheckIdentityField(f.Key, f.Value) : $"{f.Key}: not a sender field")
            .OfType<string>().ToList();
        if (fields.Count == 0)
        {
            errors.Add("nothing to set");
        }

        if (errors.Count > 0)
        {
            return new IdentityUpdate(true, errors);
        }

        // Column names come from the fixed list above, never from the request.
        var assignments = string.Join(", ", fields.Keys.Select(k => $"{IdentityFields.Single(f => f == k)} = @p_{k}"));
        var parameters = new DynamicParameters(new { tenantId });
        foreach (var (k, v) in fields)
        {
            parameters.Add("p_" + k, string.IsNullOrEmpty(v) ? null : v);
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            $"update tenants set {assignments} where tenant_id = @tenantId", parameters, tx, cancellationToken: ct)) == 1;
        if (updated)
        {
            await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "tenant.sender", null, new { fields }, ct);
        }

        await tx.CommitAsync(ct);
        return new IdentityUpdate(updated, []);
    }

    /// <summary>
    /// Fills the sender fields a clinic has not stored yet from configuration (<c>Senders:Tenants:&lt;id&gt;</c>): the
    /// migration path from file-configured senders. Only existing clinics, only empty fields; returns the clinics changed.
    /// </summary>
    public async Task<IReadOnlyList<string>> SeedSendersAsync(IReadOnlyDictionary<string, ClinicSender> configured, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var seeded = new List<string>();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        foreach (var (tenantId, sender) in configured)
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            var changed = await FillSenderAsync(connection, tx, tenantId, sender, ct);
            if (changed)
            {
                await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "tenant.sender.seed", null, new { sender }, ct);
                seeded.Add(tenantId);
            }

            await tx.CommitAsync(ct);
        }

        return seeded;
    }

    /// <summary>
    /// Sets the sender fields the clinic has not stored yet (empty ones) from <paramref name="sender"/>, keeping the
    /// others; true when a field changed.
    /// </summary>
    internal static async Task<bool> FillSenderAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string tenantId, ClinicSender sender,
        CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition("""
            update tenants set
                email_from = coalesce(email_from, @EmailFrom), email_from_name = coalesce(email_from_name, @EmailFromName),
                reply_to = coalesce(reply_to, @ReplyTo), sms_from = coalesce(sms_from, @SmsFrom),
                messaging_service_sid = coalesce(messaging_service_sid, @MessagingServiceSid),
                whatsapp_from = coalesce(whatsapp_from, @WhatsAppFrom),
                whatsapp_marketing_content_sid = coalesce(whatsapp_marketing_content_sid, @WhatsAppMarketingContentSid),
                whatsapp_unsubscribe_variable = coalesce(whatsapp_unsubscribe_variable, @WhatsAppUnsubscribeVariable)
            where tenant_id = @tenantId
              and row(email_from, email_from_name, reply_to, sms_from, messaging_service_sid, whatsapp_from,
                      whatsapp_marketing_content_sid, whatsapp_unsubscribe_variable)
                  is distinct from row(coalesce(email_from, @EmailFrom), coalesce(email_from_name, @EmailFromName),
                      coalesce(reply_to, @ReplyTo), coalesce(sms_from, @SmsFrom), coalesce(messaging_service_sid, @MessagingServiceSid),
                      coalesce(whatsapp_from, @WhatsAppFrom), coalesce(whatsapp_marketing_content_sid, @WhatsAppMarketingContentSid),
                      coalesce(whatsapp_unsubscribe_variable, @WhatsAppUnsubscribeVariable))
            """, new
        {
            tenantId, sender.EmailFrom, sender.EmailFromName, sender.ReplyTo, sender.SmsFrom, sender.MessagingServiceSid,
            sender.WhatsAppFrom, sender.WhatsAppMarketingContentSid, sender.WhatsAppUnsubscribeVariable,
        }, tx, cancellationToken: ct)) == 1;

    /// <summary>Issues an operator key (no clinic): it may add clinics and set their sender identities through the API.</summary>
    public async Task<string> IssueOperatorKeyAsync(string label, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var (keyId, key) = await IssueKeyAsync(connection, tx, null, label, actor, ct);
        await AdminAudit.WriteAsync(connection, tx, "*operator*", actor, "apikey.issue.operator", null, new { keyId, label }, ct);
        await tx.CommitAsync(ct);
        return key;
    }

    private sealed class TenantRow
    {
        public string TenantId { get; init; } = "";

        public string Name { get; init; } = "";

        public string? Settings { get; init; }

        public string? EmailFrom { get; init; }

        public string? EmailFromName { get; init; }

        public string? ReplyTo { get; init; }

        public string? SmsFrom { get; init; }

        public string? MessagingServiceSid { get; init; }

        public string? WhatsappFrom { get; init; }

        public string? WhatsappMarketingContentSid { get; init; }

        public string? WhatsappUnsubscribeVariable { get; init; }

        public string? HelpContact { get; init; }

        public ClinicSender ToSender() => new()
        {
            EmailFrom = EmailFrom, EmailFromName = EmailFromName, ReplyTo = ReplyTo, SmsFrom = SmsFrom,
            MessagingServiceSid = MessagingServiceSid, WhatsAppFrom = WhatsappFrom, WhatsAppMarketingContentSid = WhatsappMarketingContentSid,
            WhatsAppUnsubscribeVariable = WhatsappUnsubscribeVariable,
        };
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
    private static async Task<(string KeyId, string Key)> IssueKeyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string? tenantId, string label, Actor actor, CancellationToken ct)
    {
        var keyId = "ck_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into api_keys (key_id, tenant_id, secret_sha256, label, created_by, scope)
            values (@keyId, @tenantId, @hash, @label, @createdBy, @scope)
            """, new { keyId, tenantId, hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret)), label, createdBy = actor.ToString(), scope = tenantId is null ? "operator" : "tenant" }, tx, cancellationToken: ct));
        return (keyId, keyId + "." + secret);
    }

    /// <summary>True for something shaped like "&lt;keyId&gt;.&lt;secret&gt;" (printable ASCII, at most 200 characters).</summary>
    public static bool IsWellFormedKey(string? presented)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > 200 || presented.Any(c => c is <= ' ' or > '~'))
        {
            return false;
        }

        var dot = presented.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && dot < presented.Length - 1;
    }

    /// <summary>Resolves "&lt;keyId&gt;.&lt;secret&gt;": looked up by id, the secret compared by hash in constant time.</summary>
    public async Task<ApiKeyIdentity?> AuthenticateAsync(string presented, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(presented);
        if (!IsWellFormedKey(presented))
        {
            return null;
        }

        var dot = presented.IndexOf('.', StringComparison.Ordinal);

        var keyId = presented[..dot];
        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented[(dot + 1)..]));
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<(string KeyId, string? TenantId, string Label, byte[] SecretSha256)>(new CommandDefinition("""
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

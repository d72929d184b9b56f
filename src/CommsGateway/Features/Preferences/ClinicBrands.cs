using CommsGateway.Core.Preferences;
using CommsGateway.Features.Admin;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Preferences;

/// <summary>Stores how a clinic's patient pages look (tenants.brand_*, privacy_notice_url), checked by <see cref="ClinicBrand.Check"/>.</summary>
public sealed class ClinicBrands(NpgsqlDataSource dataSource)
{
    /// <summary>The clinic's look (brand name, else its name); null when there is no such clinic.</summary>
    public async Task<ClinicBrand?> FindAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<BrandRow>(new CommandDefinition("""
            select name, brand_name, brand_logo_url, brand_color, brand_contact, privacy_notice_url, help_contact
            from tenants where tenant_id = @tenantId
            """, new { tenantId }, cancellationToken: ct));
        return row is null
            ? null
            : new ClinicBrand(row.BrandName ?? row.Name)
            {
                LogoUrl = row.BrandLogoUrl,
                Color = row.BrandColor,
                Contact = row.BrandContact ?? row.HelpContact,
                PrivacyNoticeUrl = row.PrivacyNoticeUrl,
            };
    }

    /// <summary>The stored brand columns as they are (no fallbacks), by <see cref="ClinicBrand.Fields"/> name; null when there is no such clinic.</summary>
    public async Task<IReadOnlyDictionary<string, string?>?> StoredFieldsAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<BrandRow>(new CommandDefinition("""
            select name, brand_name, brand_logo_url, brand_color, brand_contact, privacy_notice_url, help_contact
            from tenants where tenant_id = @tenantId
            """, new { tenantId }, cancellationToken: ct));
        return row is null ? null : new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["brand_name"] = row.BrandName,
            ["brand_logo_url"] = row.BrandLogoUrl,
            ["brand_color"] = row.BrandColor,
            ["brand_contact"] = row.BrandContact,
            ["privacy_notice_url"] = row.PrivacyNoticeUrl,
        };
    }

    private sealed record BrandRow
    {
        public string Name { get; init; } = "";
        public string? BrandName { get; init; }
        public string? BrandLogoUrl { get; init; }
        public string? BrandColor { get; init; }
        public string? BrandContact { get; init; }
        public string? PrivacyNoticeUrl { get; init; }
        public string? HelpContact { get; init; }
    }

    /// <summary>
    /// Sets the given brand fields (names of <see cref="ClinicBrand.Fields"/>; an empty value clears one) of an existing
    /// clinic, recorded in admin_audit. Returns the refusals, or null when there is no such clinic.
    /// </summary>
    public async Task<IReadOnlyList<string>?> UpdateAsync(string tenantId, IReadOnlyDictionary<string, string?> fields, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(actor);
        var errors = fields.Select(f => ClinicBrand.Fields.Contains(f.Key) ? ClinicBrand.Check(f.Key, f.Value) : $"{f.Key}: not a brand field")
            .OfType<string>().ToList();
        if (errors.Count > 0 || fields.Count == 0)
        {
            return errors.Count > 0 ? errors : ["nothing to set"];
        }

        // Column names come from the fixed list, never from the caller.
        var assignments = string.Join(", ", fields.Keys.Select(k => $"{ClinicBrand.Fields.Single(f => f == k)} = @p_{k}"));
        var parameters = new DynamicParameters(new { tenantId });
        foreach (var (k, v) in fields)
        {
            parameters.Add("p_" + k, string.IsNullOrWhiteSpace(v) ? null : v.Trim());
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            $"update tenants set {assignments} where tenant_id = @tenantId", parameters, tx, cancellationToken: ct)) == 1;
        if (!updated)
        {
            return null;
        }

        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "tenant.brand", null, new { fields }, ct);
        await tx.CommitAsync(ct);
        return [];
    }
}

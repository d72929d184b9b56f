using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Admin;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Preferences;

/// <summary>A clinic's registered wording as `consent wording list` shows it.</summary>
public sealed record RegisteredWording(string Version, string Item, string Locale, string Sha256, DateTime CreatedAt, string CreatedBy, string Text);

/// <summary>
/// The clinic's consent wordings (consent_wordings, append-only), the table's one owner: registered by the clinic,
/// shown on its patient pages and capture form instead of the gateway's, and resolved back from any version recorded
/// in the ledger; and the sentences the console's desk form showed (<see cref="KeepDeskWordingAsync"/>), which the
/// patient pages never show.
/// </summary>
public sealed class WordingCatalogue(NpgsqlDataSource dataSource)
{
    public async Task<WordingSet> ForTenantAsync(string tenantId, CancellationToken ct)
    {
        var rows = await ListAsync(tenantId, ct);
        return new WordingSet([.. rows.Select(r => ConsentItem.Parse(r.Item) is { } item
                ? new ConsentWording(r.Version, item.Purpose, item.Channel, item.Placement, UnsubscribeLocales.From(r.Locale), r.Text)
                : null).OfType<ConsentWording>()]);
    }

    public async Task<IReadOnlyList<RegisteredWording>> ListAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<RegisteredWording>(new CommandDefinition("""
            select version, item, locale, sha256, created_at, created_by, text from consent_wordings
            where tenant_id = @tenantId and shown_on = 'patient_pages' order by seq
            """, new { tenantId }, cancellationToken: ct))];
    }

    /// <summary>
    /// Registers a new text under a new version (the same text again under the same version is a no-op). Returns the
    /// wording, or the refusal.
    /// </summary>
    public async Task<(ConsentWording? Wording, string? Error)> AddAsync(string tenantId, string itemKey, string locale, string version, string text,
        Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var normalised = (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (WordingSet.Check(itemKey, version, normalised) is { } problem)
        {
            return (null, problem);
        }

        if (locale is not ("fr" or "en"))
        {
            return (null, "locale: fr or en");
        }

        var item = ConsentItem.Parse(itemKey)!;
        var wording = new ConsentWording(version, item.Purpose, item.Channel, item.Placement, UnsubscribeLocales.From(locale), normalised);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select exists (select 1 from tenants where tenant_id = @tenantId)", new { tenantId }, tx, cancellationToken: ct)))
        {
            return (null, $"no clinic {tenantId}");
        }

        var existing = await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition(
            "select sha256 from consent_wordings where tenant_id = @tenantId and version = @version and shown_on = 'patient_pages'",
            new { tenantId, version }, tx, cancellationToken: ct));
        if (existing is not null)
        {
            return existing == wording.Sha256 ? (wording, null) : (null, $"version {version} already holds another text: register a new version");
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            insert into consent_wordings (tenant_id, version, item, locale, text, sha256, created_by)
            values (@tenantId, @version, @item, @locale, @text, @sha, @by)
            """, new { tenantId, version, item = item.Key, locale, text = normalised, sha = wording.Sha256, by = actor.ToString() }, tx, cancellationToken: ct));
        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "consent.wording", null, new { version, item = item.Key, locale, sha256 = wording.Sha256 }, ct);
        await tx.CommitAsync(ct);
        return (wording, null);
    }

    /// <summary>
    /// Keeps a sentence the desk form showed, by its hash (the ledger event records version and hash): the first time
    /// it is shown, once. Item and language are the box's.
    /// </summary>
    public async Task KeepDeskWordingAsync(string tenantId, string itemKey, string locale, string version, string text, string sha256, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into consent_wordings (tenant_id, version, item, locale, text, sha256, created_by, shown_on)
            values (@tenantId, @version, @itemKey, @locale, @text, @sha256, 'console desk', 'desk')
            on conflict (tenant_id, sha256) where shown_on = 'desk' do nothing
            """, new { tenantId, version, itemKey, locale, text, sha256 }, cancellationToken: ct));
    }
}

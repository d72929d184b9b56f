using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using CommsGateway.Hosting;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommsGateway.Features.Audit;

/// <summary>Gateway-wide retention defaults; a clinic overrides them with `commsgw retention set`.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Run the daily job. Unset: on, except in the Testing environment.</summary>
    public bool? Enabled { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")] public TimeSpan Interval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Decision rows older than this are removed (a pseudonymised copy kept when enabled). Default 3 years.</summary>
    [Range(1, 1200)] public int DecisionsMonths { get; set; } = 36;

    /// <summary>Consent evidence is kept this long after withdrawal or lapse (limitation period). Default 5 years.</summary>
    [Range(1, 1200)] public int ConsentAfterEndMonths { get; set; } = 60;

    /// <summary>When a clinic's settings do not say: marketing consent lapses after 36 months (CNIL).</summary>
    [Range(1, 1200)] public int ConsentLapseMonths { get; set; } = 36;

    public bool KeepPseudonymisedCopy { get; set; } = true;
}

/// <summary>A tenant's effective retention settings.</summary>
public sealed record RetentionSettings(string TenantId, int DecisionsMonths, int ConsentAfterEndMonths, int ConsentLapseMonths, bool KeepPseudonymisedCopy);

/// <summary>One row of retention_runs: what a run did (or would do) to one table of one tenant.</summary>
public sealed record RetentionReport
{
    public long RunId { get; init; }
    public string TenantId { get; init; } = "";
    public string TableName { get; init; } = "";
    public DateTime Cutoff { get; init; }
    public bool DryRun { get; init; }
    public int Pseudonymised { get; init; }
    public int Removed { get; init; }
    public string RemovedRelated { get; init; } = "{}";
    public long? FirstRemovedSeq { get; init; }
    public long? LastRemovedSeq { get; init; }
    public byte[]? ChainAnchor { get; init; }
    public string Actor { get; init; } = "";
    public DateTime RanAt { get; init; }
}

/// <summary>Applies per-tenant retention through the audited purge functions of migration 0008.</summary>
public sealed class RetentionService(NpgsqlDataSource dataSource, IOptions<RetentionOptions> options, TimeProvider clock)
{
    public async Task<IReadOnlyList<RetentionReport>> RunAsync(string? tenantId, bool dryRun, string actor, CancellationToken ct)
    {
        var reports = new List<RetentionReport>();
        var now = clock.GetUtcNow();
        foreach (var settings in await SettingsAsync(tenantId, ct))
        {
            // One transaction per tenant: its report rows and its deletions commit together or not at all.
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            reports.Add(await connection.QuerySingleAsync<RetentionReport>(new CommandDefinition(
                "select * from retention_purge_decisions(@tenant, @cutoff, @copy, @actor, @dryRun)",
                new { tenant = settings.TenantId, cutoff = now.AddMonths(-settings.DecisionsMonths).UtcDateTime, copy = settings.KeepPseudonymisedCopy, actor, dryRun },
                tx, cancellationToken: ct)));
            reports.Add(await connection.QuerySingleAsync<RetentionReport>(new CommandDefinition(
                "select * from retention_purge_consent(@tenant, @withdrawnBefore, @lapsedBefore, @actor, @dryRun)",
                new
                {
                    tenant = settings.TenantId,
                    withdrawnBefore = now.AddMonths(-settings.ConsentAfterEndMonths).UtcDateTime,
                    lapsedBefore = now.AddMonths(-(settings.ConsentAfterEndMonths + settings.ConsentLapseMonths)).UtcDateTime,
                    actor,
                    dryRun,
                }, tx, cancellationToken: ct)));
            if (!dryRun)
            {
                await AdminAudit.WriteAsync(connection, tx, settings.TenantId, actor, "retention.run", null,
                    new { decisions = reports[^2].Removed, consentEvents = reports[^1].Removed, runs = new[] { reports[^2].RunId, reports[^1].RunId } }, ct);
            }

            await tx.CommitAsync(ct);
        }

        return reports;
    }

    /// <summary>Every tenant with data (or with settings), each with its own settings or the defaults.</summary>
    public async Task<IReadOnlyList<RetentionSettings>> SettingsAsync(string? tenantId, CancellationToken ct)
    {
        var defaults = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var hasConsent = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select to_regclass('consent_events') is not null", cancellationToken: ct));
        var hasTenants = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select to_regclass('tenants') is not null", cancellationToken: ct));
        var rows = await connection.QueryAsync<(string TenantId, int? DecisionsMonths, int? ConsentAfterEndMonths, int? LapseMonths, bool? KeepCopy)>(new CommandDefinition($"""
            with t as (
                select distinct tenant_id from decisions
                union select tenant_id from retention_settings
                {(hasConsent ? "union select distinct tenant_id from consent_events" : "")}
            )
            select t.tenant_id, s.decisions_months, s.consent_after_end_months,
                   {(hasTenants ? "(select (x.settings ->> 'consent_lapse_months')::int from tenants x where x.tenant_id = t.tenant_id)" : "null::int")},
                   s.keep_pseudonymised_copy
            from t left join retention_settings s using (tenant_id)
            where (@tenantId::text is null or t.tenant_id = @tenantId)
            order by t.tenant_id
            """, new { tenantId }, cancellationToken: ct));
        return rows.Select(r => new RetentionSettings(r.TenantId,
            r.DecisionsMonths ?? defaults.DecisionsMonths,
            r.ConsentAfterEndMonths ?? defaults.ConsentAfterEndMonths,
            r.LapseMonths ?? defaults.ConsentLapseMonths,
            r.KeepCopy ?? defaults.KeepPseudonymisedCopy)).ToList();
    }

    public async Task SetAsync(string tenantId, int decisionsMonths, int consentAfterEndMonths, bool keepCopy, string actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into retention_settings (tenant_id, decisions_months, consent_after_end_months, keep_pseudonymised_copy, updated_by)
            values (@tenantId, @decisionsMonths, @consentAfterEndMonths, @keepCopy, @actor)
            on conflict (tenant_id) do update set decisions_months = excluded.decisions_months,
                consent_after_end_months = excluded.consent_after_end_months,
                keep_pseudonymised_copy = excluded.keep_pseudonymised_copy, updated_by = excluded.updated_by, updated_at = now()
            """, new { tenantId, decisionsMonths, consentAfterEndMonths, keepCopy, actor }, tx, cancellationToken: ct));
        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "retention.set", null, new { decisionsMonths, consentAfterEndMonths, keepCopy }, ct);
        await tx.CommitAsync(ct);
    }
}

/// <summary>The daily retention job. Several gateways may run it: an advisory lock lets one run at a time.</summary>
internal sealed class RetentionJob(
    RetentionService retention, NpgsqlDataSource dataSource, IOptions<RetentionOptions> options, IHostEnvironment environment,
    TimeProvider clock, ILogger<RetentionJob> logger) : BackgroundService
{
    private const long LockKey = 0x436F6D6D73475702; // "CommsGW\x02"

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!(options.Value.Enabled ?? !environment.IsEnvironment(HostEnvironmentExtensions.Testing)))
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: stoppingToken)))
                {
                    try
                    {
                        foreach (var report in await retention.RunAsync(null, dryRun: false, "retention-job", stoppingToken))
                        {
                            logger.LogInformation("Retention {Table} for tenant {TenantId}: removed {Removed}, pseudonymised {Pseudonymised}, related {Related}",
                                report.TableName, report.TenantId, report.Removed, report.Pseudonymised, report.RemovedRelated);
                        }
                    }
                    finally
                    {
                        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_unlock(@LockKey)", new { LockKey }, cancellationToken: CancellationToken.None));
                    }
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(ex, "Retention run failed; next attempt after the interval");
            }

            await Task.Delay(options.Value.Interval, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}

/// <summary>admin_audit rows (who did what, when, why) for the admin actions of this feature.</summary>
internal static class AdminAudit
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string tenantId, string actor, string action,
        string? patientId, object detail, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into admin_audit (tenant_id, actor, action, patient_id, detail)
            values (@tenantId, @actor, @action, @patientId, @detail::jsonb)
            """, new { tenantId, actor, action, patientId, detail = JsonSerializer.Serialize(detail, Json) }, tx, cancellationToken: ct));
}

using System.Globalization;
using System.Net;
using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Contacts;
using CommsGateway.Features.Unsubscribe;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Preferences;

/// <summary>Who acts on a patient page, and what proves it (GDPR art. 7(1)). Source names the page.</summary>
public sealed record PatientEvidence(string Source, IPAddress? Ip, string? UserAgent, UnsubscribeLocale Locale, string? KeyId)
{
    public string? TrimmedUserAgent => UserAgent is { Length: > UnsubscribeRequest.MaxUserAgentLength } ua ? ua[..UnsubscribeRequest.MaxUserAgentLength] : UserAgent;
}

/// <summary>One line of the preference page: an item, its current state and the ledger event it comes from.</summary>
/// <param name="LatestWording">The exact text behind the latest event's wording version, when the clinic or the gateway registered it.</param>
public sealed record PreferenceRow(ConsentItem Item, bool Granted, bool Lapsed, ConsentEventView? Latest, bool ConfirmationPending, ConsentWording? LatestWording);

public sealed record PreferenceView(string TenantId, string PatientId, ClinicBrand Brand, ContactPoint? Contact,
    IReadOnlyList<PreferenceRow> Rows, IReadOnlyList<ConsentEventView> History, WordingSet Wordings);

public enum GrantOutcome
{
    Granted,
    ConfirmationSent,
    NotTicked,
    StaleWording,
    NoAddress,
    TooManyRequests,
    Refused,
}

public sealed record GrantResult(GrantOutcome Outcome, IReadOnlyList<long> EventIds);

public sealed record ConfirmResult(bool Confirmed, string TenantId, string PatientId, UnsubscribeLocale Locale, long? EventId);

/// <summary>
/// What the patient pages do: read a patient's choices from the consent ledger, withdraw at once, and grant only on a
/// fresh affirmative action showing the exact wording (email: only once the patient confirms from the address on
/// record). Every change goes through the ledger's validation: withdrawals through <see cref="OptOuts"/>, grants through
/// <see cref="ConsentLedger.RecordAsync"/>.
/// </summary>
public sealed class PreferenceCentre(
    NpgsqlDataSource dataSource,
    ConsentLedger ledger,
    OptOuts optOuts,
    ContactDirectory contacts,
    ClinicNames clinicNames,
    ClinicBrands brands,
    WordingCatalogue catalogue,
    ConfirmationMailer mailer,
    Microsoft.Extensions.Options.IOptions<UnsubscribeOptions> unsubscribeOptions,
    TimeProvider clock,
    ILogger<PreferenceCentre> logger)
{
    /// <summary>Confirmation emails per patient per hour: whoever holds a link cannot flood the patient's mailbox.</summary>
    public const int MaxConfirmationsPerHour = 3;

    /// <summary>How long a double opt-in link works.</summary>
    public static readonly TimeSpan ConfirmationValidity = TimeSpan.FromDays(7);

    private static readonly Actor PatientActor = new("patient");

    /// <summary>The patient behind a token's opaque subscriber reference, or null when it maps to nobody.</summary>
    public Task<WordingSet> WordingsAsync(string tenantId, CancellationToken ct) => catalogue.ForTenantAsync(tenantId, ct);

    public Task<string?> PatientOfAsync(UnsubscribeClaims claims, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(claims);
        return PatientOfAsync(claims.TenantId, claims.SubscriberRef, ct);
    }

    public async Task<string?> PatientOfAsync(string tenantId, string subscriberRef, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition("""
            select patient_id from unsubscribe_subscribers where tenant_id = @tenantId and subscriber_ref = @subscriberRef
            """, new { tenantId, subscriberRef }, cancellationToken: ct));
    }

    /// <summary>The https origins allowed to frame the clinic's capture form (CSP frame-ancestors).</summary>
    public async Task<IReadOnlyList<string>> CaptureFormOriginsAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QueryFirstOrDefaultAsync<string[]?>(new CommandDefinition(
            "select capture_form_origins from tenants where tenant_id = @tenantId", new { tenantId }, cancellationToken: ct)) ?? [];
    }

    /// <summary>The clinic's look; a clinic with no tenants row yet still has a name (configuration, else its id).</summary>
    public async Task<ClinicBrand> BrandAsync(string tenantId, CancellationToken ct) =>
        await brands.FindAsync(tenantId, ct) ?? new ClinicBrand(await clinicNames.NameAsync(tenantId, ct));

    public async Task<PreferenceView> ViewAsync(string tenantId, string patientId, CancellationToken ct)
    {
        var brand = await BrandAsync(tenantId, ct);
        var contact = await contacts.FindAsync(tenantId, patientId, ct);
        var current = await ledger.CurrentAsync(tenantId, patientId, ct) ?? [];
        var history = await ledger.HistoryAsync(tenantId, patientId, ct) ?? [];
        var wordings = await catalogue.ForTenantAsync(tenantId, ct);
        IReadOnlyList<string> pending;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            pending = [.. await connection.QueryAsync<string>(new CommandDefinition("""
                select purpose || '.' || channel from preference_pending_grants
                where tenant_id = @tenantId and patient_id = @patientId and confirmed_at is null and expires_at > @now
                """, new { tenantId, patientId, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct))];
        }

        var rows = ConsentItem.All.Select(item =>
        {
            var state = current
                .Where(c => c.Purpose == ConsentNames.Name(item.Purpose)
                    && (item.Channel is { } ch ? c.Channel == ConsentNames.Name(ch) : c.Placement == ConsentNames.Name(item.Placement!.Value)))
                .OrderByDescending(c => c.OccurredAt).ThenByDescending(c => c.EventId).FirstOrDefault();
            var latest = state is null ? null : history.FirstOrDefault(h => h.EventId == state.EventId);
            return new PreferenceRow(item, state is { Granted: true }, state?.Lapsed ?? false, latest, pending.Contains(item.Key),
                latest?.WordingVersion is { } v ? wordings.Find(v) : null);
        }).ToList();
        return new PreferenceView(tenantId, patientId, brand, contact, rows, history, wordings);
    }

    /// <summary>Withdraws one item at once: one ledger event, effective for every decision made after the commit.</summary>
    public async Task<ConsentRecordResult> WithdrawAsync(string tenantId, string patientId, ConsentItem item, PatientEvidence evidence, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(evidence);
        var result = await optOuts.WithdrawAsync(Command(tenantId, patientId, ConsentAction.Withdraw, item, new ConsentEvidence
        {
            Source = evidence.Source,
            Ip = evidence.Ip?.ToString(),
            UserAgent = evidence.TrimmedUserAgent,
            Extra = Extra(evidence),
        }), PatientActor, ct);
        logger.LogInformation("Patient page withdrawal for tenant {TenantId}: {Item} via {Source} ({Ok})", tenantId, item.Key, evidence.Source, result.Ok);
        return result;
    }

    /// <summary>
    /// A grant the patient asked for by ticking the box under <paramref name="shownVersion"/>. The wording must be the
    /// current one for the item and language (a stale form is shown again). SMS, WhatsApp and photo grants are recorded
    /// at once; an email grant is held until confirmed from the address on record.
    /// </summary>
    public async Task<GrantResult> RequestGrantAsync(string tenantId, string patientId, ConsentItem item, bool ticked,
        string? shownVersion, string? shownSha256, PatientEvidence evidence, Uri publicBase, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(publicBase);
        if (!ticked)
        {
            return new GrantResult(GrantOutcome.NotTicked, []);
        }

        var wording = (await catalogue.ForTenantAsync(tenantId, ct)).For(item, evidence.Locale);
        if (!string.Equals(wording.Version, shownVersion, StringComparison.Ordinal) || !string.Equals(wording.Sha256, shownSha256, StringComparison.Ordinal))
        {
            return new GrantResult(GrantOutcome.StaleWording, []);
        }

        if (item.Channel == Channel.Email)
        {
            var contact = await contacts.FindAsync(tenantId, patientId, ct);
            if (contact?.Email is not { Length: > 0 } email)
            {
                return new GrantResult(GrantOutcome.NoAddress, []);
            }

            var (code, pendingId) = ConfirmationCodes.Issue(unsubscribeOptions.Value.SubscriberKeyBytes());
            var now = clock.GetUtcNow();
            await using (var connection = await dataSource.OpenConnectionAsync(ct))
            {
                if (await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
                        select count(*) from preference_pending_grants
                        where tenant_id = @tenantId and patient_id = @patientId and requested_at > @since
                        """, new { tenantId, patientId, since = (now - TimeSpan.FromHours(1)).UtcDateTime }, cancellationToken: ct)) >= MaxConfirmationsPerHour)
                {
                    return new GrantResult(GrantOutcome.TooManyRequests, []);
                }

                await connection.ExecuteAsync(new CommandDefinition("""
                    insert into preference_pending_grants (pending_id, tenant_id, patient_id, purpose, channel, wording_version,
                        wording_sha256, locale, source, requested_at, request_ip, request_user_agent, expires_at)
                    values (@pendingId, @tenantId, @patientId, 'marketing', 'email', @Version, @Sha256, @locale, @Source,
                        @now, cast(@ip as inet), @ua, @expires)
                    """, new
                {
                    pendingId, tenantId, patientId, wording.Version, wording.Sha256, locale = LocaleName(evidence.Locale), evidence.Source,
                    now = now.UtcDateTime, ip = evidence.Ip?.ToString(), ua = evidence.TrimmedUserAgent,
                    expires = (now + ConfirmationValidity).UtcDateTime,
                }, cancellationToken: ct));
            }

            var brand = await BrandAsync(tenantId, ct);
            var link = new Uri(publicBase.AbsoluteUri.TrimEnd('/') + "/p/confirm/" + code);
            var sent = await mailer.SendConfirmationAsync(tenantId, patientId, pendingId, email, brand, wording, link, evidence.Locale, ct);
            return new GrantResult(sent ? GrantOutcome.ConfirmationSent : GrantOutcome.Refused, []);
        }

        var result = await ledger.RecordAsync(Command(tenantId, patientId, ConsentAction.Grant, item, GrantEvidence(wording, evidence, null)), PatientActor, ct);
        return new GrantResult(result.Ok ? GrantOutcome.Granted : GrantOutcome.Refused, result.EventIds);
    }

    /// <summary>The pending grant a confirmation code names, if it is still waiting (read only: a GET shows it).</summary>
    public async Task<PendingGrant?> PendingAsync(string? code, CancellationToken ct)
    {
        if (ConfirmationCodes.Verify(unsubscribeOptions.Value.SubscriberKeyBytes(), code) is not { } pendingId)
        {
            return null;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QueryFirstOrDefaultAsync<PendingGrant>(new CommandDefinition("""
            select pending_id, tenant_id, patient_id, purpose, channel, wording_version, wording_sha256, locale, source,
                   requested_at, host(request_ip) as request_ip, request_user_agent, expires_at, confirmed_at, consent_event_id
            from preference_pending_grants where pending_id = @pendingId
            """, new { pendingId }, cancellationToken: ct));
    }

    /// <summary>
    /// The patient confirmed from their mailbox: the grant is recorded now, with the request's evidence (the wording they
    /// ticked, where from) and the confirmation's. Each code confirms once; an expired one grants nothing.
    /// </summary>
    public async Task<ConfirmResult?> ConfirmAsync(string? code, PatientEvidence confirmation, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(confirmation);
        if (await PendingAsync(code, ct) is not { } pending)
        {
            return null;
        }

        var locale = UnsubscribeLocales.From(pending.Locale);
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var claimed = await connection.ExecuteAsync(new CommandDefinition("""
            update preference_pending_grants set confirmed_at = @now
            where pending_id = @PendingId and confirmed_at is null and expires_at > @now
            """, new { pending.PendingId, now = now.UtcDateTime }, cancellationToken: ct)) == 1;
        if (!claimed)
        {
            return new ConfirmResult(false, pending.TenantId, pending.PatientId, locale, pending.ConsentEventId);
        }

        var wording = (await catalogue.ForTenantAsync(pending.TenantId, ct)).Find(pending.WordingVersion);
        var item = new ConsentItem(ConsentPurpose.Marketing, Channel.Email, null);
        var evidence = new ConsentEvidence
        {
            Source = pending.Source,
            WordingVersion = pending.WordingVersion,
            WordingSha256 = pending.WordingSha256,
            CapturedBy = "patient",
            Ip = pending.RequestIp,
            UserAgent = pending.RequestUserAgent,
            Extra = new Dictionary<string, string>
            {
                ["double_opt_in"] = "confirmed",
                ["pending_id"] = pending.PendingId,
                ["requested_at"] = ConsentLedger.Utc(pending.RequestedAt).ToString("O", CultureInfo.InvariantCulture),
                ["confirmed_ip"] = confirmation.Ip?.ToString() ?? "",
                ["confirmed_user_agent"] = confirmation.TrimmedUserAgent ?? "",
                ["locale"] = pending.Locale,
                ["wording_known"] = wording is null ? "false" : "true",
            },
        };
        var result = await ledger.RecordAsync(Command(pending.TenantId, pending.PatientId, ConsentAction.Grant, item, evidence) with { OccurredAt = now },
            PatientActor, ct);
        if (!result.Ok)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "update preference_pending_grants set confirmed_at = null where pending_id = @PendingId", new { pending.PendingId }, cancellationToken: ct));
            return new ConfirmResult(false, pending.TenantId, pending.PatientId, locale, null);
        }

        var eventId = result.EventIds.Single();
        await connection.ExecuteAsync(new CommandDefinition(
            "update preference_pending_grants set consent_event_id = @eventId where pending_id = @PendingId",
            new { eventId, pending.PendingId }, cancellationToken: ct));
        logger.LogInformation("Double opt-in confirmed for tenant {TenantId}: email marketing, event {EventId}", pending.TenantId, eventId);
        return new ConfirmResult(true, pending.TenantId, pending.PatientId, locale, eventId);
    }

    private static ConsentCommand Command(string tenantId, string patientId, ConsentAction action, ConsentItem item, ConsentEvidence evidence) => new()
    {
        TenantId = tenantId,
        PatientId = patientId,
        Action = action,
        Purposes = [ConsentNames.Name(item.Purpose)],
        Channels = item.Channel is { } c ? [ConsentNames.Name(c)] : [],
        Placement = item.Placement is { } p ? ConsentNames.Name(p) : null,
        Evidence = evidence,
    };

    private static ConsentEvidence GrantEvidence(ConsentWording wording, PatientEvidence evidence, IReadOnlyDictionary<string, string>? extra) => new()
    {
        Source = evidence.Source,
        WordingVersion = wording.Version,
        WordingSha256 = wording.Sha256,
        CapturedBy = "patient",
        Ip = evidence.Ip?.ToString(),
        UserAgent = evidence.TrimmedUserAgent,
        PreTicked = false,
        Extra = extra ?? Extra(evidence),
    };

    private static Dictionary<string, string> Extra(PatientEvidence evidence)
    {
        var extra = new Dictionary<string, string> { ["locale"] = LocaleName(evidence.Locale) };
        if (evidence.KeyId is { } key)
        {
            extra["token_key_id"] = key;
        }

        return extra;
    }

    internal static string LocaleName(UnsubscribeLocale locale) => locale == UnsubscribeLocale.Fr ? "fr" : "en";
}

/// <summary>An email grant waiting for its confirmation.</summary>
public sealed record PendingGrant
{
    public string PendingId { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string PatientId { get; init; } = "";
    public string Purpose { get; init; } = "";
    public string Channel { get; init; } = "";
    public string WordingVersion { get; init; } = "";
    public string WordingSha256 { get; init; } = "";
    public string Locale { get; init; } = "";
    public string Source { get; init; } = "";
    public DateTime RequestedAt { get; init; }
    public string? RequestIp { get; init; }
    public string? RequestUserAgent { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? ConfirmedAt { get; init; }
    public long? ConsentEventId { get; init; }
}

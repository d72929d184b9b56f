
using CommsGateway.Core.Privacy;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Contacts;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Patients;

/// <summary>The answer to an access request (GDPR art. 15): everything the gateway holds about one patient.</summary>
public sealed record PatientExport(
    string TenantId,
    string PatientId,
    DateTimeOffset ExportedAt,
    PatientContactView? Contact,
    IReadOnlyList<ConsentCurrentView> CurrentConsent,
    IReadOnlyList<ConsentEventView> ConsentHistory,
    IReadOnlyList<SuppressionView> Suppressions,
    IReadOnlyList<DecisionView> Decisions);

public sealed record PatientContactView(
    string? FirstName, string? LastName, string? Email, string? Phone, string? WhatsApp, string? Locale, string? TimeZone,
    DateTimeOffset? LastInteractionAt, string UpdatedBy, DateTimeOffset UpdatedAt);

/// <summary>A suppression of one of the patient's current addresses (matched by its keyed hash).</summary>
public sealed record SuppressionView(string Channel, string Reason, DateTimeOffset CreatedAt);

public sealed record DecisionView(
    Guid DecisionId, string IntentId, string? Producer, string Channel, string? Category, string? CampaignId,
    string DeclaredPurpose, string DetectedPurpose, string Outcome, IReadOnlyList<string> Reasons, IReadOnlyList<string> Details,
    long? ConsentEventId, string PolicyVersion, DateTimeOffset DecidedAt, string? DispatchStatus);

public sealed record ErasureResult(int SuppressionsAdded, int ConsentEventsPseudonymised, bool ContactDeleted)
{
    /// <summary>
    /// Pending deferred intents stripped of their address and content and decided again at once (Blocked NoContactPoint):
    /// no one is left to send to, and each still ends in one final decision.
    /// </summary>
    public int DeferredIntentsClosed { get; init; }

    /// <summary>Dispatch and delivery rows whose provider texts (which can quote the address) were cleared.</summary>
    public int ProviderTextsCleared { get; init; }

    /// <summary>Provider opt-out notes whose number was replaced (the hashed suppression keeps the block).</summary>
    public int ProviderOptOutsPseudonymised { get; init; }

    /// <summary>Unsubscribe requests whose IP and user agent were blanked.</summary>
    public int UnsubscribeEventsPseudonymised { get; init; }
}

/// <summary>Access requests and erasure, shared by the admin API and the CLI.</summary>
public sealed class PatientRecords(NpgsqlDataSource dataSource, ConsentLedger ledger, OptOuts optOuts, AddressHasher hasher, TimeProvider clock)
{
    public async Task<PatientExport?> ExportAsync(string tenantId, string patientId, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var known = await ConsentLedger.PatientKnownAsync(connection, null, tenantId, patientId, ct)
            || await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select exists (select 1 from decisions where tenant_id = @tenantId and patient_id = @patientId)",
                new { tenantId, patientId }, cancellationToken: ct));
        if (!known)
        {
            return null;
        }

        var contactRow = await connection.QueryFirstOrDefaultAsync<ContactRow>(new CommandDefinition(
            $"select {ContactRow.Columns} from contacts where tenant_id = @tenantId and patient_id = @patientId",
            new { tenantId, patientId }, cancellationToken: ct));
        var contact = contactRow is null ? null : new PatientContactView(contactRow.FirstName, contactRow.LastName, contactRow.Email,
            contactRow.PhoneE164, contactRow.WhatsappE164, contactRow.Locale, contactRow.TimeZone,
            contactRow.LastInteractionAt is { } l ? ConsentLedger.Utc(l) : null, contactRow.UpdatedBy, ConsentLedger.Utc(contactRow.UpdatedAt));

        var suppressions = contactRow is null ? [] : (await connection.QueryAsync<(string Channel, string Reason, DateTime CreatedAt)>(new CommandDefinition("""
            select channel, reason, created_at from suppressions
            where tenant_id = @tenantId and address_hash = any(@hashes)
            order by created_at
            """, new { tenantId, hashes = Addresses(contactRow).Select(a => hasher.Hash(a.Address)).ToArray() },
            cancellationToken: ct)))
            .Select(s => new SuppressionView(s.Channel, s.Reason, ConsentLedger.Utc(s.CreatedAt))).ToList();

        var decisions = (await Audit.DecisionQuery.ForPatientAsync(connection, tenantId, patientId, ct))
            .Select(d => new DecisionView(d.DecisionId, d.IntentId, d.Producer, d.Channel, d.Category, d.CampaignId, d.DeclaredPurpose,
                d.DetectedPurpose, d.Outcome, d.Reasons, d.Details, d.ConsentEventId, d.PolicyVersion, ConsentLedger.Utc(d.DecidedAt), d.DispatchStatus))
            .ToList();

        var history = await ConsentLedger.HistoryAsync(connection, tenantId, patientId, ct);
        var current = await ledger.CurrentAsync(tenantId, patientId, ct) ?? [];
        await AdminAudit.WriteAsync(connection, null, tenantId, actor, "patient.export", patientId, new { decisions = decisions.Count, consentEvents = history.Count }, ct);
        return new PatientExport(tenantId, patientId, clock.GetUtcNow(), contact, current, history, suppressions, decisions);
    }

    /// <summary>
    /// Erasure (GDPR art. 17): the contact row and its personal fields go; consent and decision rows stay (the clinic
    /// must still demonstrate what it did, art. 17(3)(e)) with the consent events' and unsubscribe requests' personal
    /// provenance (IP, user agent, form URL, extra evidence) blanked; provider texts on the patient's dispatches and
    /// deliveries are cleared, provider opt-out notes lose the number, and pending deferred intents (which hold the
    /// address) lose address and content and are decided at once (Blocked NoContactPoint). Each erased address leaves a keyed-hash suppression so it is never marketed to again.
    /// </summary>
    public async Task<ErasureResult?> EraseAsync(string tenantId, string patientId, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ConsentLedger.LockPatientAsync(connection, tx, tenantId, patientId, ct);
        if (!await ConsentLedger.PatientKnownAsync(connection, tx, tenantId, patientId, ct))
        {
            return null;
        }

        var contact = await connection.QueryFirstOrDefaultAsync<ContactRow>(new CommandDefinition(
            $"select {ContactRow.Columns} from contacts where tenant_id = @tenantId and patient_id = @patientId for update",
            new { tenantId, patientId }, tx, cancellationToken: ct));
        var (deferredIntents, providerTexts, providerOptOuts) = await EraseOperationalDataAsync(connection, tx, tenantId, patientId, contact, ct);
        var suppressions = 0;
        if (contact is not null)
        {
            suppressions = await optOuts.SuppressErasedAsync(connection, tx, tenantId, Addresses(contact), ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "delete from contacts where tenant_id = @tenantId and patient_id = @patientId", new { tenantId, patientId }, tx, cancellationToken: ct));
        }

        // When the patient last wrote on WhatsApp is personal data with no use once the contact is gone.
        await connection.ExecuteAsync(new CommandDefinition(
            "delete from whatsapp_sessions where tenant_id = @tenantId and patient_id = @patientId", new { tenantId, patientId }, tx, cancellationToken: ct));

        // The ledger's guard lets exactly this update through, and only inside this transaction.
        await connection.ExecuteAsync(new CommandDefinition("select set_config('commsgw.erasure', 'on', true)", transaction: tx, cancellationToken: ct));
        var pseudonymised = await connection.ExecuteAsync(new CommandDefinition("""
            update consent_events set ip = null, user_agent = null, form_url = null, evidence = '{"erased": true}'::jsonb
            where tenant_id = @tenantId and patient_id = @patientId
              and (ip is not null or user_agent is not null or form_url is not null or evidence <> '{"erased": true}'::jsonb)
            """, new { tenantId, patientId }, tx, cancellationToken: ct));
        var unsubscribes = await connection.ExecuteAsync(new CommandDefinition("""
            update unsubscribe_events set ip = null, user_agent = null
            where tenant_id = @tenantId and patient_id = @patientId and (ip is not null or user_agent is not null)
            """, new { tenantId, patientId }, tx, cancellationToken: ct));
        // Email grants waiting for their double opt-in: no longer confirmable, and their request's IP and user agent go.
        await connection.ExecuteAsync(new CommandDefinition("""
            update preference_pending_grants set request_ip = null, request_user_agent = null,
                expires_at = case when confirmed_at is null then least(expires_at, now()) else expires_at end
            where tenant_id = @tenantId and patient_id = @patientId
            """, new { tenantId, patientId }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("select set_config('commsgw.erasure', 'off', true)", transaction: tx, cancellationToken: ct));

        var result = new ErasureResult(suppressions, pseudonymised, contact is not null)
        {
            DeferredIntentsClosed = deferredIntents, ProviderTextsCleared = providerTexts, ProviderOptOutsPseudonymised = providerOptOuts,
            UnsubscribeEventsPseudonymised = unsubscribes,
        };
        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "patient.erase", patientId, result, ct);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>
    /// The operational rows that can hold the patient's address outside the contact row. Provider texts are masked when
    /// written, but rows written before that (or a format the mask misses) must not outlive the erasure either.
    /// </summary>
    /// <returns>Deferred intents closed, provider texts cleared, provider opt-out notes pseudonymised.</returns>
    private static async Task<(int DeferredIntents, int ProviderTexts, int ProviderOptOuts)> EraseOperationalDataAsync(NpgsqlConnection connection, NpgsqlTransaction tx,
        string tenantId, string patientId, ContactRow? contact, CancellationToken ct)
    {
        var args = new
        {
            tenantId, patientId,
            numbers = new[] { contact?.PhoneE164, contact?.WhatsappE164 }.OfType<string>().ToArray(),
        };
        const string PatientDecisions = "select decision_id from decisions where tenant_id = @tenantId and patient_id = @patientId";
        // A pending deferred intent keeps only what identifies it (no address, no content) and falls due at once: the
        // poller decides it again, finds no contact point, and it ends, like every intent, in one final decision.
        var deferred = await connection.ExecuteAsync(new CommandDefinition($"""
            update deferred_intents
            set due_at = now(),
                intent = jsonb_strip_nulls(jsonb_build_object(
                    'intentId', intent->'intentId', 'tenantId', intent->'tenantId', 'producer', intent->'producer',
                    'patientId', intent->'patientId', 'channel', intent->'channel', 'declaredPurpose', intent->'declaredPurpose',
                    'category', intent->'category', 'campaignId', intent->'campaignId',
                    'subject', case when intent->>'subject' is not null then '[erased]' end, 'body', '[erased]'))
            where tenant_id = @tenantId and (deferred_decision_id in ({PatientDecisions}) or intent->>'patientId' = @patientId)
            """, args, tx, cancellationToken: ct));
        // A held intent waiting for a review expires at once: the review poller blocks it (ReviewTimedOut) and purges its
        // encrypted content within a second; nobody is asked to review an erased patient's message.
        await connection.ExecuteAsync(new CommandDefinition($"""
            update held_intents set expires_at = least(expires_at, now())
            where tenant_id = @tenantId and status = 'held' and held_decision_id in ({PatientDecisions})
            """, args, tx, cancellationToken: ct));
        var texts = await connection.ExecuteAsync(new CommandDefinition($"""
            update dispatches set error_detail = null where decision_id in ({PatientDecisions}) and error_detail is not null
            """, args, tx, cancellationToken: ct));
        texts += await connection.ExecuteAsync(new CommandDefinition($"""
            update deliveries set detail = null where decision_id in ({PatientDecisions}) and detail is not null
            """, args, tx, cancellationToken: ct));
        // The note stays (which decision the provider refused, and why); the number goes, unique per row.
        var optOuts = await connection.ExecuteAsync(new CommandDefinition($"""
            update provider_opt_outs set address = 'erased:' || id
            where tenant_id = @tenantId and address not like 'erased:%'
              and (decision_id in ({PatientDecisions}) or address = any(@numbers))
            """, args, tx, cancellationToken: ct));
        return (deferred, texts, optOuts);
    }

    /// <summary>Each address with the channels that would use it (WhatsApp falls back to the mobile).</summary>
    private static IEnumerable<(string Channel, string Address)> Addresses(ContactRow contact)
    {
        if (contact.Email is { } email)
        {
            yield return ("email", email);
        }

        if (contact.PhoneE164 is { } phone)
        {
            yield return ("sms", phone);
            yield return ("whatsapp", phone);
        }

        if (contact.WhatsappE164 is { } whatsApp && whatsApp != contact.PhoneE164)
        {
            yield return ("whatsapp", whatsApp);
        }
    }
}

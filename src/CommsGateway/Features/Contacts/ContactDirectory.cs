using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Contacts;
using CommsGateway.Features.Admin;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Contacts;

/// <summary>The outcome of an upsert: refused with reasons, applied, or ignored as older than what is held.</summary>
public sealed record ContactUpsertResult(IReadOnlyList<string> Errors, bool Applied)
{
    public bool Ok => Errors.Count == 0;
}

/// <summary>The contact directory: one row per (tenant, patient), addresses normalised, every write attributed.</summary>
public sealed class ContactDirectory(NpgsqlDataSource dataSource, TenantDirectory tenants)
{
    /// <summary>Normalises and checks a contact; the same rules for the API, the CLI import and producer events.</summary>
    public static (ContactPoint? Contact, IReadOnlyList<string> Errors) Normalise(string tenantId, string patientId, ContactDetails input, string defaultRegion)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(patientId) || patientId.Length > 200)
        {
            errors.Add("patient id is required (at most 200 characters)");
        }
        else if (Core.Validation.Identifiers.FirstForbidden(patientId) is { } character)
        {
            errors.Add($"patient id contains {character}: control, bidirectional and zero-width characters are not allowed in identifiers");
        }

        var email = AddressNormalizer.Email(input.Email);
        var phone = AddressNormalizer.Phone(input.Phone, defaultRegion);
        var whatsApp = AddressNormalizer.Phone(input.WhatsApp, defaultRegion);
        if (!email.Ok)
        {
            errors.Add("email: " + email.Error);
        }

        if (!phone.Ok)
        {
            errors.Add("phone: " + phone.Error);
        }

        if (!whatsApp.Ok)
        {
            errors.Add("whatsapp: " + whatsApp.Error);
        }

        var timeZone = string.IsNullOrWhiteSpace(input.TimeZone) ? null : input.TimeZone.Trim();
        if (timeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _))
        {
            errors.Add($"timeZone: '{timeZone}' is not an IANA time zone");
        }

        var locale = string.IsNullOrWhiteSpace(input.Locale) ? null : input.Locale.Trim();
        if (locale is { Length: > 20 })
        {
            errors.Add("locale: too long");
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new ContactPoint(tenantId, patientId.Trim(), email.Value, phone.Value, whatsApp.Value, locale ?? "", timeZone ?? "", input.LastInteractionAt)
        {
            FirstName = Trimmed(input.FirstName),
            LastName = Trimmed(input.LastName),
        }, []);
    }

    /// <summary>
    /// Replaces the patient's contact (absent fields are cleared: a stale address is a misdirection risk).
    /// <paramref name="sourceOccurredAt"/> orders producer events: an event older than the one applied is ignored.
    /// </summary>
    public async Task<ContactUpsertResult> UpsertAsync(string tenantId, string patientId, ContactDetails input, Actor actor,
        DateTimeOffset? sourceOccurredAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var region = (await tenants.FindAsync(tenantId, ct))?.DefaultRegion ?? "FR";
        var (contact, errors) = Normalise(tenantId, patientId, input, region);
        if (contact is null)
        {
            return new ContactUpsertResult(errors, false);
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var applied = await WriteAsync(connection, tx, contact, actor, sourceOccurredAt, ct);
        await tx.CommitAsync(ct);
        return new ContactUpsertResult([], applied == 1);
    }

    /// <summary>
    /// Bulk load (CLI import): the same normalisation and SQL as <see cref="UpsertAsync"/>, many rows per
    /// transaction so a clinic's directory loads at disk speed rather than one commit per patient.
    /// Returns the rows refused, with their reasons; the others are written.
    /// </summary>
    public async Task<IReadOnlyList<(int Line, IReadOnlyList<string> Errors)>> ImportAsync(string tenantId,
        IReadOnlyList<(int Line, string PatientId, ContactDetails Input)> rows, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(actor);
        var region = (await tenants.FindAsync(tenantId, ct))?.DefaultRegion ?? "FR";
        var refused = new List<(int, IReadOnlyList<string>)>();
        var valid = new List<ContactPoint>(rows.Count);
        foreach (var (line, patientId, input) in rows)
        {
            var (contact, errors) = Normalise(tenantId, patientId, input, region);
            if (contact is null)
            {
                refused.Add((line, errors));
            }
            else
            {
                valid.Add(contact);
            }
        }

        if (valid.Count == 0)
        {
            return refused;
        }

        if (valid.Select(c => c.PatientId).Distinct(StringComparer.Ordinal).Count() != valid.Count)
        {
            throw new ArgumentException("A patient appears twice in one import batch", nameof(rows));
        }

        // One statement per batch: the upsert and its audit rows, in one round trip and one commit.
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            with upserted as (
                insert into contacts (tenant_id, patient_id, first_name, last_name, email, phone_e164, whatsapp_e164, locale,
                                      time_zone, last_interaction_at, updated_by, updated_at)
                select @tenantId, u.patient_id, u.first_name, u.last_name, u.email, u.phone, u.whatsapp, u.locale,
                       u.time_zone, u.last_interaction_at, @updatedBy, now()
                from unnest(@patientIds, @firstNames, @lastNames, @emails, @phones, @whatsApps, @locales, @timeZones, @lastInteractions)
                     as u(patient_id, first_name, last_name, email, phone, whatsapp, locale, time_zone, last_interaction_at)
                on conflict (tenant_id, patient_id) do update
                   set first_name = excluded.first_name, last_name = excluded.last_name, email = excluded.email,
                       phone_e164 = excluded.phone_e164, whatsapp_e164 = excluded.whatsapp_e164, locale = excluded.locale,
                       time_zone = excluded.time_zone,
                       last_interaction_at = greatest(contacts.last_interaction_at, excluded.last_interaction_at),
                       updated_by = excluded.updated_by, updated_at = now()
                returning patient_id, email is not null as has_email, phone_e164 is not null as has_phone, whatsapp_e164 is not null as has_whatsapp
            )
            insert into admin_audit (tenant_id, actor, on_behalf, action, patient_id, detail)
            select @tenantId, @actor, @onBehalf, 'contact.upsert', patient_id,
                   jsonb_build_object('email', has_email, 'phone', has_phone, 'whatsApp', has_whatsapp)
            from upserted
            """, new
        {
            tenantId, updatedBy = actor.ToString(), actor = actor.Id, onBehalf = actor.OnBehalf,
            patientIds = valid.Select(c => c.PatientId).ToArray(),
            firstNames = valid.Select(c => c.FirstName).ToArray(),
            lastNames = valid.Select(c => c.LastName).ToArray(),
            emails = valid.Select(c => c.Email).ToArray(),
            phones = valid.Select(c => c.Phone).ToArray(),
            whatsApps = valid.Select(c => c.WhatsApp).ToArray(),
            locales = valid.Select(c => NullIfEmpty(c.Locale)).ToArray(),
            timeZones = valid.Select(c => NullIfEmpty(c.TimeZone)).ToArray(),
            lastInteractions = valid.Select(c => c.LastInteractionAt?.UtcDateTime).ToArray(),
        }, cancellationToken: ct));
        return refused;
    }

    private static async Task<int> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ContactPoint contact, Actor actor,
        DateTimeOffset? sourceOccurredAt, CancellationToken ct)
    {
        var applied = await connection.ExecuteAsync(new CommandDefinition("""
            insert into contacts (tenant_id, patient_id, first_name, last_name, email, phone_e164, whatsapp_e164, locale,
                                  time_zone, last_interaction_at, source_occurred_at, updated_by, updated_at)
            values (@TenantId, @PatientId, @FirstName, @LastName, @Email, @Phone, @WhatsApp, @Locale,
                    @TimeZone, @LastInteractionAt, @SourceOccurredAt, @UpdatedBy, now())
            on conflict (tenant_id, patient_id) do update
               set first_name = excluded.first_name, last_name = excluded.last_name, email = excluded.email,
                   phone_e164 = excluded.phone_e164, whatsapp_e164 = excluded.whatsapp_e164, locale = excluded.locale,
                   time_zone = excluded.time_zone,
                   -- the last interaction only moves forward: it extends consent lifetime (CNIL 3 years)
                   last_interaction_at = greatest(contacts.last_interaction_at, excluded.last_interaction_at),
                   source_occurred_at = coalesce(excluded.source_occurred_at, contacts.source_occurred_at),
                   updated_by = excluded.updated_by, updated_at = now()
             where excluded.source_occurred_at is null or contacts.source_occurred_at is null
                or excluded.source_occurred_at >= contacts.source_occurred_at
            """, new
        {
            contact.TenantId, contact.PatientId, contact.FirstName, contact.LastName, contact.Email, contact.Phone, contact.WhatsApp,
            Locale = NullIfEmpty(contact.Locale), TimeZone = NullIfEmpty(contact.TimeZone),
            LastInteractionAt = contact.LastInteractionAt?.UtcDateTime, SourceOccurredAt = sourceOccurredAt?.UtcDateTime,
            UpdatedBy = actor.ToString(),
        }, tx, cancellationToken: ct));
        if (applied == 1)
        {
            // Field names only: the audit trail never holds an address.
            await AdminAudit.WriteAsync(connection, tx, contact.TenantId, actor, "contact.upsert", contact.PatientId, new
            {
                email = contact.Email is not null, phone = contact.Phone is not null, whatsApp = contact.WhatsApp is not null,
            }, ct);
        }

        return applied;
    }

    public async Task<ContactPoint?> FindAsync(string tenantId, string patientId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<ContactRow>(new CommandDefinition($"""
            select {ContactRow.Columns} from contacts where tenant_id = @tenantId and patient_id = @patientId
            """, new { tenantId, patientId }, cancellationToken: ct));
        return row?.ToContactPoint();
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>Flat shape of a contacts row for Dapper.</summary>
internal sealed record ContactRow
{
    public const string Columns = "tenant_id, patient_id, first_name, last_name, email, phone_e164, whatsapp_e164, locale, time_zone, last_interaction_at, updated_by, updated_at";

    public string TenantId { get; init; } = "";
    public string PatientId { get; init; } = "";
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Email { get; init; }
    public string? PhoneE164 { get; init; }
    public string? WhatsappE164 { get; init; }
    public string? Locale { get; init; }
    public string? TimeZone { get; init; }
    public DateTime? LastInteractionAt { get; init; }
    public string UpdatedBy { get; init; } = "";
    public DateTime UpdatedAt { get; init; }

    public ContactPoint ToContactPoint() => new(TenantId, PatientId, Email, PhoneE164, WhatsappE164, Locale ?? "", TimeZone ?? "",
        LastInteractionAt is { } last ? new DateTimeOffset(DateTime.SpecifyKind(last, DateTimeKind.Utc)) : null)
    {
        FirstName = FirstName,
        LastName = LastName,
    };
}

using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Privacy;
using CommsGateway.Features.Admin;
using Npgsql;
using NpgsqlTypes;

namespace CommsGateway.Features.Consent;

/// <summary>What the policy needs to know about the recipient, loaded for one intent.</summary>
public sealed record DecisionContext(
    bool TenantKnown,
    TenantPolicySettings Settings,
    ContactPoint? Contact,
    ConsentSnapshot Consent,
    bool AddressSuppressed,
    int MarketingSentLast7Days,
    IReadOnlyDictionary<string, ConsentSnapshot> PicturedPatientsConsent)
{
    /// <summary>True when the intent's campaign was cancelled before this read (issue 7).</summary>
    public bool CampaignCancelled { get; init; }

    /// <summary>The patient's last inbound WhatsApp message to the clinic (the 24-hour window), null if none.</summary>
    public DateTimeOffset? LastWhatsAppInboundAt { get; init; }

    /// <summary>Who the clinic sends as (its tenants row); <see cref="ClinicSender.None"/> for an unknown clinic.</summary>
    public ClinicSender Sender { get; init; } = ClinicSender.None;

    /// <summary>Fills the policy input's recipient facts; the caller keeps intent, classification and clock.</summary>
    public PolicyInput ApplyTo(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input with
        {
            Contact = Contact,
            Consent = Consent,
            AddressSuppressed = AddressSuppressed,
            Settings = Settings,
            MarketingSentLast7Days = MarketingSentLast7Days,
            PicturedPatientsConsent = PicturedPatientsConsent,
            CampaignCancelled = CampaignCancelled,
            LastWhatsAppInboundAt = LastWhatsAppInboundAt,
            Sender = Sender,
        };
    }
}

/// <summary>
/// The per-decision read, in ONE round trip (an NpgsqlBatch): the tenant's settings, the patient's contact point,
/// the current consent of the patient and of every pictured patient, the patient's last inbound WhatsApp message, whether the channel's address is suppressed,
/// and how many marketing messages the patient was sent in the last 7 days. Consent is read from the ledger at
/// decision time, so a withdrawal recorded before this read blocks the message (GDPR art. 7(3)).
/// </summary>
public sealed class DecisionContextQuery(NpgsqlDataSource dataSource, AddressHasher hasher)
{
    private readonly byte[] _addressHashKey = hasher.Key;

    public Task<DecisionContext> LoadAsync(string tenantId, string patientId, Channel channel,
        IReadOnlyCollection<string> picturedPatientIds, DateTimeOffset now, CancellationToken ct) =>
        LoadAsync(tenantId, patientId, channel, picturedPatientIds, now, null, ct);

    /// <summary>As above, plus whether the intent's campaign is cancelled (read in the same round trip).</summary>
    public async Task<DecisionContext> LoadAsync(string tenantId, string patientId, Channel channel,
        IReadOnlyCollection<string> picturedPatientIds, DateTimeOffset now, string? campaignId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(picturedPatientIds);
        var pictured = picturedPatientIds.Where(p => !string.IsNullOrWhiteSpace(p)).Distinct(StringComparer.Ordinal).ToArray();
        string[] consentOf = [.. pictured.Append(patientId).Distinct(StringComparer.Ordinal)];
        var channelName = channel is Channel.Email or Channel.Sms or Channel.WhatsApp ? ConsentNames.Name(channel) : "";

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // Two statements, not five: the single-row facts (settings, contact, suppression, 7-day count) in one
        // row, the consent rows in the other. Each statement costs the gateway and PostgreSQL a parse/bind/describe.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Command("""
                    select t.tenant_id is not null, t.settings::text,
                           c.patient_id, c.first_name, c.last_name, c.email, c.phone_e164, c.whatsapp_e164, c.locale, c.time_zone,
                           c.last_interaction_at,
                           -- The address the channel would use (WhatsApp falls back to the mobile), hashed as suppressions are:
                           -- keyed (0017), or a legacy row's plain SHA-256.
                           exists (
                               select 1 from suppressions s,
                                   convert_to(case $3 when 'email' then c.email when 'sms' then c.phone_e164
                                              when 'whatsapp' then coalesce(c.whatsapp_e164, c.phone_e164) end, 'UTF8') as a(bytes)
                               where s.tenant_id = c.tenant_id and s.channel = $3
                                 and s.address_hash in (hmac(a.bytes, $7, 'sha256'), sha256(a.bytes))),
                           (select count(*) from decisions
                            where tenant_id = $1 and patient_id = $2 and detected_purpose = 'marketing'
                              and outcome in ('Sent', 'SentWithMarketingRemoved') and decided_at > $4 and decided_at <= $5),
                           exists (select 1 from campaigns where tenant_id = $1 and campaign_id = $6 and status = 'cancelled'),
                           (select last_inbound_at from whatsapp_sessions where tenant_id = $1 and patient_id = $2),
                           t.email_from, t.email_from_name, t.reply_to, t.sms_from, t.messaging_service_sid, t.whatsapp_from,
                           t.whatsapp_marketing_content_sid, t.whatsapp_unsubscribe_variable
                    from (select 1) as one
                    left join tenants t on t.tenant_id = $1
                    left join contacts c on c.tenant_id = $1 and c.patient_id = $2
                    """, Text(tenantId), Text(patientId), Text(channelName),
                    new NpgsqlParameter { Value = now.AddDays(-7).UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    new NpgsqlParameter { Value = now.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    Text(campaignId ?? ""),
                    new NpgsqlParameter { Value = _addressHashKey, NpgsqlDbType = NpgsqlDbType.Bytea }),
                Command("""
                    select patient_id, event_id, purpose, channel, placement, action, occurred_at
                    from consent_current where tenant_id = $1 and patient_id = any($2)
                    """, Text(tenantId), new NpgsqlParameter { Value = consentOf, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text }),
            },
        };

        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct); // always one row (left joins from a one-row relation)
        var tenantKnown = reader.GetBoolean(0);
        var settingsJson = NullableString(reader, 1);
        ContactPoint? contact = null;
        if (!reader.IsDBNull(2))
        {
            contact = new ContactPoint(tenantId, reader.GetString(2), NullableString(reader, 5), NullableString(reader, 6),
                NullableString(reader, 7), NullableString(reader, 8) ?? "", NullableString(reader, 9) ?? "",
                reader.IsDBNull(10) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(10), TimeSpan.Zero))
            {
                FirstName = NullableString(reader, 3),
                LastName = NullableString(reader, 4),
            };
        }

        // No contact: no address, so nothing suppressed (as the join on contacts gave before).
        var suppressed = !reader.IsDBNull(11) && reader.GetBoolean(11);
        var sentLast7Days = (int)reader.GetInt64(12);
        var campaignCancelled = reader.GetBoolean(13);
        DateTimeOffset? lastWhatsAppInbound = reader.IsDBNull(14) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(14), TimeSpan.Zero);
        var sender = new ClinicSender
        {
            EmailFrom = NullableString(reader, 15),
            EmailFromName = NullableString(reader, 16),
            ReplyTo = NullableString(reader, 17),
            SmsFrom = NullableString(reader, 18),
            MessagingServiceSid = NullableString(reader, 19),
            WhatsAppFrom = NullableString(reader, 20),
            WhatsAppMarketingContentSid = NullableString(reader, 21),
            WhatsAppUnsubscribeVariable = NullableString(reader, 22),
        };

        await reader.NextResultAsync(ct);
        var states = new Dictionary<string, List<ConsentState>>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var owner = reader.GetString(0);
            var state = ConsentLedger.StateOf(reader.GetInt64(1), reader.GetString(2), NullableString(reader, 3),
                NullableString(reader, 4), reader.GetString(5), reader.GetFieldValue<DateTime>(6));
            if (!states.TryGetValue(owner, out var list))
            {
                states[owner] = list = [];
            }

            list.Add(state);
        }

        ConsentSnapshot SnapshotOf(string id) => states.TryGetValue(id, out var l) ? new ConsentSnapshot(l) : ConsentSnapshot.Empty;
        return new DecisionContext(
            tenantKnown,
            tenantKnown ? TenantSettings.Read(settingsJson) : TenantPolicySettings.Default,
            contact,
            SnapshotOf(patientId),
            suppressed,
            sentLast7Days,
            pictured.ToDictionary(p => p, SnapshotOf, StringComparer.Ordinal))
        {
            CampaignCancelled = campaignCancelled,
            LastWhatsAppInboundAt = lastWhatsAppInbound,
            Sender = sender,
        };
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Text(string value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Text };

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Policy;
using CommsGateway.Core.Privacy;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Consent;
using Npgsql;
using NpgsqlTypes;

namespace CommsGateway.Features.Intents;

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

/// <summary>Whose facts to read for one intent: its clinic, patient, channel, campaign and pictured patients.</summary>
public sealed record ContextKey(string TenantId, string PatientId, Channel Channel, string? CampaignId, IReadOnlyCollection<string> PicturedPatientIds)
{
    public static ContextKey Of(MessageIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return new ContextKey(intent.TenantId, intent.PatientId, intent.Channel, intent.CampaignId,
            [.. intent.Media?.Select(m => m?.PicturedPatientId).OfType<string>() ?? []]);
    }
}

/// <summary>
/// The decision read for a whole batch of intents, in ONE round trip of two statements over arrays (<c>unnest</c>):
/// per intent, the tenant's settings and sender, the patient's contact point, whether the channel's address is
/// suppressed, how many marketing messages the patient was sent in the last 7 days, whether the intent's campaign is
/// cancelled, the patient's last inbound WhatsApp message; then the current consent of every patient the batch names
/// (recipients and pictured patients). Consent is read from the ledger at decision time, so a withdrawal recorded
/// before this read blocks the message (GDPR art. 7(3)).
/// </summary>
public sealed class DecisionContextQuery(NpgsqlDataSource dataSource, AddressHasher hasher)
{
    private readonly byte[] _addressHashKey = hasher.Key;

    public Task<DecisionContext> LoadAsync(string tenantId, string patientId, Channel channel,
        IReadOnlyCollection<string> picturedPatientIds, DateTimeOffset now, CancellationToken ct) =>
        LoadAsync(tenantId, patientId, channel, picturedPatientIds, now, null, ct);

    /// <summary>One intent's facts (a batch of one).</summary>
    public async Task<DecisionContext> LoadAsync(string tenantId, string patientId, Channel channel,
        IReadOnlyCollection<string> picturedPatientIds, DateTimeOffset now, string? campaignId, CancellationToken ct) =>
        (await LoadManyAsync([new ContextKey(tenantId, patientId, channel, campaignId, picturedPatientIds)], now, ct))[0];

    /// <summary>The facts of every key, in the keys' order.</summary>
    public async Task<IReadOnlyList<DecisionContext>> LoadManyAsync(IReadOnlyList<ContextKey> keys, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return [];
        }

        using var activity = IntentTelemetry.Source.StartActivity("intent.context");
        activity?.SetTag("intent.count", keys.Count);
        var pictured = keys.Select(k => k.PicturedPatientIds.Where(p => !string.IsNullOrWhiteSpace(p)).Distinct(StringComparer.Ordinal).ToArray()).ToArray();
        // Every (tenant, patient) whose consent matters: each recipient and each pictured patient, once.
        var consentOf = keys.SelectMany((k, i) => pictured[i].Append(k.PatientId).Select(p => (k.TenantId, PatientId: p))).Distinct().ToArray();

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // Two statements for the whole batch: the single-row facts of each intent (one row per intent, by ordinal),
        // and the consent rows of every patient named. Each statement costs a parse/bind/describe, whatever its rows.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Command("""
                    select k.ord, t.tenant_id is not null, t.settings::text,
                           c.patient_id, c.first_name, c.last_name, c.email, c.phone_e164, c.whatsapp_e164, c.locale, c.time_zone,
                           c.last_interaction_at,
                           -- The address the channel would use (WhatsApp falls back to the mobile), hashed as suppressions are.
                           exists (
                               select 1 from suppressions s,
                                   convert_to(case k.channel when 'email' then c.email when 'sms' then c.phone_e164
                                              when 'whatsapp' then coalesce(c.whatsapp_e164, c.phone_e164) end, 'UTF8') as a(bytes)
                               where s.tenant_id = c.tenant_id and s.channel = k.channel
                                 and s.address_hash = hmac(a.bytes, $7, 'sha256')),
                           (select count(*) from decisions d
                            where d.tenant_id = k.tenant_id and d.patient_id = k.patient_id and d.detected_purpose = 'marketing'
                              and d.outcome in ('Sent', 'SentWithMarketingRemoved') and d.decided_at > $5 and d.decided_at <= $6),
                           exists (select 1 from campaigns g where g.tenant_id = k.tenant_id and g.campaign_id = k.campaign_id and g.status = 'cancelled'),
                           (select w.last_inbound_at from whatsapp_sessions w where w.tenant_id = k.tenant_id and w.patient_id = k.patient_id),
                           t.email_from, t.email_from_name, t.reply_to, t.sms_from, t.messaging_service_sid, t.whatsapp_from,
                           t.whatsapp_marketing_content_sid, t.whatsapp_unsubscribe_variable
                    from unnest($1::text[], $2::text[], $3::text[], $4::text[]) with ordinality as k(tenant_id, patient_id, channel, campaign_id, ord)
                    left join tenants t on t.tenant_id = k.tenant_id
                    left join contacts c on c.tenant_id = k.tenant_id and c.patient_id = k.patient_id
                    """,
                    TextArray(keys.Select(k => k.TenantId)), TextArray(keys.Select(k => k.PatientId)),
                    TextArray(keys.Select(k => k.Channel is Channel.Email or Channel.Sms or Channel.WhatsApp ? ConsentNames.Name(k.Channel) : "")),
                    TextArray(keys.Select(k => k.CampaignId ?? "")),
                    new NpgsqlParameter { Value = now.AddDays(-7).UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    new NpgsqlParameter { Value = now.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    new NpgsqlParameter { Value = _addressHashKey, NpgsqlDbType = NpgsqlDbType.Bytea }),
                // The current consent of each exact (tenant, patient) pair: one index range each (consent_current_of).
                Command("""
                    select k.tenant_id, k.patient_id, cc.event_id, cc.purpose, cc.channel, cc.placement, cc.action, cc.occurred_at
                    from unnest($1::text[], $2::text[]) as k(tenant_id, patient_id)
                    cross join lateral consent_current_of(k.tenant_id, k.patient_id) cc
                    """, TextArray(consentOf.Select(c => c.TenantId)), TextArray(consentOf.Select(c => c.PatientId))),
            },
        };

        await using var reader = await batch.ExecuteReaderAsync(ct);
        var facts = new Facts[keys.Count];
        var settingsOf = new Dictionary<string, TenantPolicySettings>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var i = (int)reader.GetInt64(0) - 1;
            var key = keys[i];
            var tenantKnown = reader.GetBoolean(1);
            var settingsJson = NullableString(reader, 2);
            TenantPolicySettings settings = TenantPolicySettings.Default;
            if (tenantKnown && !settingsOf.TryGetValue(settingsJson ?? "", out settings!))
            {
                // Parsed once per distinct settings document in the batch (a batch holds a few clinics).
                settingsOf[settingsJson ?? ""] = settings = TenantSettings.Read(settingsJson);
            }

            ContactPoint? contact = null;
            if (!reader.IsDBNull(3))
            {
                contact = new ContactPoint(key.TenantId, reader.GetString(3), NullableString(reader, 6), NullableString(reader, 7),
                    NullableString(reader, 8), NullableString(reader, 9) ?? "", NullableString(reader, 10) ?? "",
                    reader.IsDBNull(11) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(11), TimeSpan.Zero))
                {
                    FirstName = NullableString(reader, 4),
                    LastName = NullableString(reader, 5),
                };
            }

            facts[i] = new Facts(
                tenantKnown,
                settings,
                contact,
                // No contact: no address, so nothing suppressed.
                !reader.IsDBNull(12) && reader.GetBoolean(12),
                (int)reader.GetInt64(13),
                reader.GetBoolean(14),
                reader.IsDBNull(15) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(15), TimeSpan.Zero),
                new ClinicSender
                {
                    EmailFrom = NullableString(reader, 16),
                    EmailFromName = NullableString(reader, 17),
                    ReplyTo = NullableString(reader, 18),
                    SmsFrom = NullableString(reader, 19),
                    MessagingServiceSid = NullableString(reader, 20),
                    WhatsAppFrom = NullableString(reader, 21),
                    WhatsAppMarketingContentSid = NullableString(reader, 22),
                    WhatsAppUnsubscribeVariable = NullableString(reader, 23),
                });
        }

        await reader.NextResultAsync(ct);
        var states = new Dictionary<(string, string), List<ConsentState>>();
        while (await reader.ReadAsync(ct))
        {
            var owner = (reader.GetString(0), reader.GetString(1));
            var state = ConsentLedger.StateOf(reader.GetInt64(2), reader.GetString(3), NullableString(reader, 4),
                NullableString(reader, 5), reader.GetString(6), reader.GetFieldValue<DateTime>(7));
            if (!states.TryGetValue(owner, out var list))
            {
                states[owner] = list = [];
            }

            list.Add(state);
        }

        var contexts = new DecisionContext[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var f = facts[i];
            ConsentSnapshot SnapshotOf(string id) => states.TryGetValue((key.TenantId, id), out var l) ? new ConsentSnapshot(l) : ConsentSnapshot.Empty;
            contexts[i] = new DecisionContext(f.TenantKnown, f.Settings, f.Contact, SnapshotOf(key.PatientId), f.Suppressed, f.SentLast7Days,
                pictured[i].ToDictionary(p => p, SnapshotOf, StringComparer.Ordinal))
            {
                CampaignCancelled = f.CampaignCancelled,
                LastWhatsAppInboundAt = f.LastWhatsAppInbound,
                Sender = f.Sender,
            };
        }

        return contexts;
    }

    private sealed record Facts(bool TenantKnown, TenantPolicySettings Settings, ContactPoint? Contact, bool Suppressed, int SentLast7Days,
        bool CampaignCancelled, DateTimeOffset? LastWhatsAppInbound, ClinicSender Sender);

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter TextArray(IEnumerable<string> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

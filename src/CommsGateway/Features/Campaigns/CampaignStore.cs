using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Features.Admin;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Campaigns;

/// <summary>A recipient as the campaign needs it: names for the template, locale, and current marketing consent.</summary>
internal sealed record AudienceMember(
    string PatientId,
    bool OnRecord,
    string? FirstName,
    string? LastName,
    string? Locale,
    DateTimeOffset? LastInteractionAt,
    ConsentSnapshot Consent,
    Channel? QueuedChannel);

/// <summary>The campaigns tables (0007) and the audience read. Plain SQL, tenant in every statement.</summary>
public sealed class CampaignStore(NpgsqlDataSource dataSource)
{
    /// <summary>Hex characters after "cmp-" in a campaign id.</summary>
    private const int IdLength = 20;

    /// <summary>The id an unsaved campaign previews under: as long as a real one, so its links measure the same.</summary>
    public static readonly string PreviewId = "cmp-" + "preview".PadRight(IdLength, '0');

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<string> CreateAsync(string tenantId, CampaignDefinition definition, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(actor);
        var campaignId = "cmp-" + Guid.CreateVersion7().ToString("N")[..IdLength];
        var channels = definition.ParsedChannels()!.Select(ConsentNames.Name).ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into campaigns (campaign_id, tenant_id, name, templates, subject_templates, channels, audience_kind, audience_channel,
                                   not_before, expires_at, recipient_count, created_by)
            values (@campaignId, @tenantId, @name, @templates::jsonb, @subjects::jsonb, @channels, @kind, @audienceChannel,
                    @notBefore, @expiresAt, @recipients, @createdBy)
            """, new
        {
            campaignId, tenantId, name = definition.Name!.Trim(),
            templates = JsonSerializer.Serialize(definition.Templates, Json),
            subjects = JsonSerializer.Serialize(definition.Subjects ?? [], Json),
            channels,
            kind = definition.PatientIds is { Count: > 0 } ? "patients" : "consented",
            audienceChannel = definition.PatientIds is { Count: > 0 } ? null : ConsentNames.Name(ConsentNames.ParseChannel(definition.AudienceChannel)!.Value),
            notBefore = definition.NotBefore?.UtcDateTime, expiresAt = definition.ExpiresAt?.UtcDateTime,
            recipients = definition.PatientIds?.Distinct(StringComparer.Ordinal).Count() ?? 0,
            createdBy = actor.ToString(),
        }, tx, cancellationToken: ct));
        if (definition.PatientIds is { Count: > 0 } ids)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into campaign_recipients (campaign_id, patient_id)
                select @campaignId, p from unnest(@ids) p on conflict do nothing
                """, new { campaignId, ids = ids.Select(i => i.Trim()).ToArray() }, tx, cancellationToken: ct));
        }

        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "campaign.create", null, new { campaignId, definition.Name }, ct);
        await tx.CommitAsync(ct);
        return campaignId;
    }

    public async Task<Campaign?> FindAsync(string tenantId, string campaignId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<CampaignRow>(new CommandDefinition("""
            select c.campaign_id, c.tenant_id, t.name as clinic_name, c.status, c.name, c.templates::text as templates,
                   c.subject_templates::text as subjects, c.channels, c.audience_kind, c.audience_channel, c.not_before, c.expires_at,
                   c.recipient_count, c.queued_count, c.created_by, c.created_at, c.queued_at, c.cancelled_at
            from campaigns c join tenants t on t.tenant_id = c.tenant_id
            where c.tenant_id = @tenantId and c.campaign_id = @campaignId
            """, new { tenantId, campaignId }, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }

        var ids = row.AudienceKind == "patients"
            ? (await connection.QueryAsync<string>(new CommandDefinition(
                "select patient_id from campaign_recipients where campaign_id = @campaignId order by patient_id",
                new { campaignId }, cancellationToken: ct))).ToList()
            : null;
        var definition = new CampaignDefinition
        {
            Name = row.Name,
            Templates = JsonSerializer.Deserialize<Dictionary<string, string>>(row.Templates, Json),
            Subjects = JsonSerializer.Deserialize<Dictionary<string, string>>(row.Subjects, Json),
            Channels = row.Channels,
            PatientIds = ids,
            AudienceChannel = row.AudienceChannel,
            NotBefore = Utc(row.NotBefore),
            ExpiresAt = Utc(row.ExpiresAt),
        };
        return new Campaign(row.CampaignId, row.TenantId, row.ClinicName, row.Status, definition, row.RecipientCount, row.QueuedCount,
            row.CreatedBy, Utc(row.CreatedAt)!.Value, Utc(row.QueuedAt), Utc(row.CancelledAt));
    }

    /// <summary>The clinic's campaigns created and not yet queued (nor cancelled), newest first.</summary>
    public async Task<IReadOnlyList<string>> DraftIdsAsync(string tenantId, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<string>(new CommandDefinition(
            "select campaign_id from campaigns where tenant_id = @tenantId and status = 'draft' order by created_at desc, campaign_id limit @limit",
            new { tenantId, limit }, cancellationToken: ct))];
    }

    public async Task<string?> ClinicNameAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "select name from tenants where tenant_id = @tenantId", new { tenantId }, cancellationToken: ct));
    }

    /// <summary>Moves a campaign on; a cancelled campaign never leaves 'cancelled'.</summary>
    public async Task<bool> SetStatusAsync(string tenantId, string campaignId, string status, int? recipientCount, int? queuedCount, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            update campaigns set status = @status,
                   recipient_count = coalesce(@recipientCount, recipient_count),
                   queued_count = coalesce(@queuedCount, queued_count),
                   queued_at = case when @status = 'queued' then now() else queued_at end
            where tenant_id = @tenantId and campaign_id = @campaignId and status <> 'cancelled'
            """, new { tenantId, campaignId, status, recipientCount, queuedCount }, cancellationToken: ct)) == 1;
    }

    /// <summary>Cancels: every intent of the campaign decided after this commit is Blocked (CampaignCancelled).</summary>
    public async Task<bool> CancelAsync(string tenantId, string campaignId, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var found = await connection.ExecuteAsync(new CommandDefinition("""
            update campaigns set status = 'cancelled', cancelled_by = coalesce(cancelled_by, @by), cancelled_at = coalesce(cancelled_at, now())
            where tenant_id = @tenantId and campaign_id = @campaignId
            """, new { tenantId, campaignId, by = actor.ToString() }, tx, cancellationToken: ct)) == 1;
        if (found)
        {
            await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "campaign.cancel", null, new { campaignId }, ct);
        }

        await tx.CommitAsync(ct);
        return found;
    }

    /// <summary>
    /// Records the channel each recipient is queued on, before anything is published. A recipient queued before keeps
    /// the channel recorded then (first writer wins, even against a concurrent queue); returns the recorded channels.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, Channel>> KeepChannelsAsync(string campaignId, IReadOnlyList<MessageIntent> intents, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intents);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string PatientId, string Channel)>(new CommandDefinition("""
            insert into campaign_recipients (campaign_id, patient_id, channel)
            select @campaignId, p, c from unnest(@patients::text[], @channels::text[]) as u(p, c)
            on conflict (campaign_id, patient_id) do update set channel = coalesce(campaign_recipients.channel, excluded.channel)
            returning patient_id, channel
            """, new
        {
            campaignId,
            patients = intents.Select(i => i.PatientId).ToArray(),
            channels = intents.Select(i => ConsentNames.Name(i.Channel)).ToArray(),
        }, cancellationToken: ct));
        return rows.ToDictionary(r => r.PatientId, r => ConsentNames.ParseChannel(r.Channel)!.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// The audience in one statement: listed ids (or every patient whose current marketing state on the channel is a
    /// grant, plus anyone already queued), with names, locale, last interaction, current marketing consent on every
    /// channel, and the channel recorded when the campaign was first queued.
    /// </summary>
    internal async Task<IReadOnlyList<AudienceMember>> AudienceAsync(string tenantId, string campaignId, CampaignDefinition definition, CancellationToken ct)
    {
        var ids = definition.PatientIds is { Count: > 0 } list ? list.Select(p => p.Trim()).Distinct(StringComparer.Ordinal).ToArray() : null;
        var audienceChannel = ids is null ? ConsentNames.Name(ConsentNames.ParseChannel(definition.AudienceChannel)!.Value) : null;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            with audience as (
                select p as patient_id from unnest(@ids::text[]) p where @ids::text[] is not null
                union
                select patient_id from consent_current
                where @ids::text[] is null and tenant_id = @tenant and purpose = 'marketing' and channel = @channel and action = 'grant'
                union
                -- Queued once: queued again on the same channel even if the grant that put them in the audience is
                -- gone (the gateway then blocks it, or finds it decided already: Duplicate).
                select patient_id from campaign_recipients where campaign_id = @campaign and channel is not null
            )
            select a.patient_id, c.patient_id is not null, c.first_name, c.last_name, c.locale, c.last_interaction_at,
                   cc.event_id, cc.channel, cc.action, cc.occurred_at, r.channel
            from audience a
            left join contacts c on c.tenant_id = @tenant and c.patient_id = a.patient_id
            left join campaign_recipients r on r.campaign_id = @campaign and r.patient_id = a.patient_id
            left join consent_current cc on cc.tenant_id = @tenant and cc.patient_id = a.patient_id and cc.purpose = 'marketing'
            order by a.patient_id
            """, connection);
        command.Parameters.AddWithValue("ids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, (object?)ids ?? DBNull.Value);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("campaign", campaignId);
        command.Parameters.AddWithValue("channel", (object?)audienceChannel ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var members = new List<AudienceMember>();
        AudienceMember? current = null;
        List<ConsentState>? states = null;
        while (await reader.ReadAsync(ct))
        {
            var patientId = reader.GetString(0);
            if (current?.PatientId != patientId)
            {
                Flush();
                states = [];
                current = new AudienceMember(patientId, reader.GetBoolean(1), Str(reader, 2), Str(reader, 3), Str(reader, 4),
                    reader.IsDBNull(5) ? null : new DateTimeOffset(reader.GetFieldValue<DateTime>(5), TimeSpan.Zero), ConsentSnapshot.Empty,
                    ConsentNames.ParseChannel(Str(reader, 10)));
            }

            if (!reader.IsDBNull(6))
            {
                states!.Add(Consent.ConsentLedger.StateOf(reader.GetInt64(6), "marketing", Str(reader, 7), null, reader.GetString(8),
                    reader.GetFieldValue<DateTime>(9)));
            }
        }

        Flush();
        return members;

        void Flush()
        {
            if (current is not null)
            {
                members.Add(current with { Consent = new ConsentSnapshot(states!) });
            }
        }
    }

    private static string? Str(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;

    private sealed record CampaignRow
    {
        public string CampaignId { get; init; } = "";
        public string TenantId { get; init; } = "";
        public string ClinicName { get; init; } = "";
        public string Status { get; init; } = "";
        public string Name { get; init; } = "";
        public string Templates { get; init; } = "{}";
        public string Subjects { get; init; } = "{}";
        public string[] Channels { get; init; } = [];
        public string AudienceKind { get; init; } = "";
        public string? AudienceChannel { get; init; }
        public DateTime? NotBefore { get; init; }
        public DateTime? ExpiresAt { get; init; }
        public int RecipientCount { get; init; }
        public int QueuedCount { get; init; }
        public string CreatedBy { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime? QueuedAt { get; init; }
        public DateTime? CancelledAt { get; init; }
    }
}

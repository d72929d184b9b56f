using System.Globalization;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Policy;
using CommsGateway.Features.Admin;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Review;

/// <summary>A held intent as the queue lists it (no content).</summary>
public sealed record HeldSummary(Guid HeldId, string IntentId, string Channel, DateTimeOffset HeldAt, DateTimeOffset ExpiresAt,
    double Probability, IReadOnlyList<string> Signals, string TemplateKey, string Status);

/// <summary>A held intent with its decrypted content (null once settled and purged) and its review, if any.</summary>
public sealed record HeldDetail(HeldSummary Held, string? Subject, string? Body, string? Sentence, string? Verdict, string? ReviewedBy,
    DateTimeOffset? ReviewedAt, string? Note, Guid? FinalDecisionId);

/// <summary>A verdict remembered for a clinic template.</summary>
public sealed record TemplateVerdictView(long TemplateId, string TemplateKey, string Verdict, string ReviewedBy, DateTimeOffset ReviewedAt,
    Guid? HeldId, string? CampaignId, string? RevokedBy, DateTimeOffset? RevokedAt);

public enum SettleStatus
{
    Settled,
    AlreadySettled,
    NotFound,
}

/// <summary>What a settle request did: settled it, or found it already settled (by whom, as what) or absent.</summary>
public sealed record SettleResult(SettleStatus Status, Guid HeldId, string? CurrentStatus = null, string? Verdict = null, string? ReviewedBy = null,
    DateTimeOffset? ReviewedAt = null);

/// <summary>One reviewed message as a labelled corpus line (personal data masked).</summary>
public sealed record LabelLine(string Id, string Family, string Lang, string Channel, string Declared, string? Subject, string Body, string Label,
    string Kind, string? Note);

/// <summary>
/// The review queue's SQL, for the gateway (hold, look up a verdict), the admin API and the CLI alike (list, show,
/// settle, templates): settling is ONE statement path whoever calls it. A settlement only records the verdict; the
/// gateway's <see cref="ReviewPoller"/> decides settled intents through the pipeline, so a verdict given while no
/// gateway runs is decided at the next start.
/// </summary>
public sealed class ReviewQueue(NpgsqlDataSource dataSource, ReviewCipher cipher, TimeProvider clock)
{
    public const string Service = "service";
    public const string Marketing = "marketing";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Hours an intent may wait for a review when the clinic sets none (tenants.settings review_max_hold_hours).</summary>
    public const double DefaultMaxHoldHours = 24;

    /// <summary>
    /// Parks a held intent (idempotent: a redelivery finds it parked). Expires at the earlier of the intent's own expiry
    /// and the clinic's maximum hold.
    /// </summary>
    public async Task HoldAsync(MessageIntent intent, Guid heldDecisionId, Classification classification, DateTimeOffset heldAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        ArgumentNullException.ThrowIfNull(classification);
        var content = cipher.Encrypt(JsonSerializer.SerializeToUtf8Bytes(new HeldContent(intent, classification.Sentence), Json), intent.TenantId, intent.IntentId);
        var label = cipher.Encrypt(JsonSerializer.SerializeToUtf8Bytes(new LabelText(
            intent.Subject is { Length: > 0 } subject ? TemplateKey.MaskValues(subject) : null,
            TemplateKey.MaskValues(string.Join("\n\n", new[] { intent.Body }.Concat(intent.Blocks?.Select(b => b?.Text ?? "") ?? []).Where(t => t.Length > 0))),
            intent.Locale, intent.DeclaredPurpose.ToString()), Json), intent.TenantId, intent.IntentId);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into held_intents (held_id, tenant_id, intent_id, held_decision_id, content, label_text, probability, score, signals,
                                      template_key, channel, held_at, expires_at)
            select @heldId, @TenantId, @IntentId, @heldDecisionId, @content, @label, @Probability, @Score, @signals,
                   @key, @channel, @heldAt,
                   least(coalesce(@expiresAt, 'infinity'::timestamptz),
                         @heldAt + make_interval(secs => 3600 * coalesce(
                             (select (settings->>'review_max_hold_hours')::double precision from tenants where tenant_id = @TenantId
                              and jsonb_typeof(settings->'review_max_hold_hours') = 'number'), @defaultHours)))
            on conflict (tenant_id, intent_id) do nothing
            """, new
        {
            heldId = Guid.CreateVersion7(heldAt), intent.TenantId, intent.IntentId, heldDecisionId, content, label,
            classification.Probability, classification.Score, signals = classification.Signals.ToArray(), key = TemplateKey.Compute(intent),
            channel = WireNames.Of(intent.Channel), heldAt = heldAt.UtcDateTime, expiresAt = intent.ExpiresAt?.UtcDateTime,
            defaultHours = DefaultMaxHoldHours,
        }, cancellationToken: ct));
    }

    /// <summary>
    /// The verdict a person gave for this intent (its own review), else the live verdict remembered for its template.
    /// Only consulted for content the classifier could not call.
    /// </summary>
    public async Task<ReviewVerdict?> FindVerdictAsync(MessageIntent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<VerdictRow>(new CommandDefinition("""
            select 0 as rank, held_id::text as reference, verdict, reviewed_by, reviewed_at, null::text as held_id
            from held_intents where tenant_id = @TenantId and intent_id = @IntentId and verdict is not null
            union all
            select 1, template_id::text, verdict, reviewed_by, reviewed_at, held_id::text
            from review_templates where tenant_id = @TenantId and template_key = @key and revoked_at is null
            order by rank
            limit 1
            """, new { intent.TenantId, intent.IntentId, key = TemplateKey.Compute(intent) }, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }

        var purpose = row.Verdict == Service ? Purpose.Service : Purpose.Marketing;
        var at = Utc(row.ReviewedAt).ToString("O", CultureInfo.InvariantCulture);
        return row.Rank == 0
            ? new ReviewVerdict(purpose, purpose == Purpose.Service ? ReasonCodes.ReviewedAsService : ReasonCodes.ReviewedAsMarketing,
                [$"review: held {row.Reference} reviewed as {row.Verdict} by {row.ReviewedBy} at {at}"])
            : new ReviewVerdict(purpose, ReasonCodes.TemplateVerdict,
                [$"review: template verdict {row.Reference} ({row.Verdict}) by {row.ReviewedBy} at {at}"
                 + (row.HeldId is null ? "" : $", from held {row.HeldId}")]);
    }

    /// <summary>
    /// Records a reviewer's verdict: the held intent becomes "settled" (the poller decides it) and the verdict is
    /// remembered for its template (replacing a live one). One statement decides the race: of two reviewers, or a
    /// reviewer and the timeout, exactly one changes the row; the other learns it was already settled.
    /// </summary>
    public async Task<SettleResult> SettleAsync(string tenantId, Guid heldId, string verdict, Actor actor, string? note, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (verdict is not (Service or Marketing))
        {
            throw new ArgumentOutOfRangeException(nameof(verdict), verdict, "service or marketing");
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var key = await connection.QueryFirstOrDefaultAsync<byte[]>(new CommandDefinition("""
            update held_intents set status = 'settled', verdict = @verdict, reviewed_by = @by, reviewed_at = @now, note = @note
            where tenant_id = @tenantId and held_id = @heldId and status = 'held'
            returning template_key
            """, new { tenantId, heldId, verdict, by = actor.ToString(), now, note }, tx, cancellationToken: ct));
        if (key is null)
        {
            await tx.RollbackAsync(ct);
            var current = await connection.QueryFirstOrDefaultAsync<CurrentRow>(new CommandDefinition(
                "select status, verdict, reviewed_by, reviewed_at from held_intents where tenant_id = @tenantId and held_id = @heldId",
                new { tenantId, heldId }, cancellationToken: ct));
            return current is null
                ? new SettleResult(SettleStatus.NotFound, heldId)
                : new SettleResult(SettleStatus.AlreadySettled, heldId, current.Status, current.Verdict, current.ReviewedBy,
                    current.ReviewedAt is { } at ? Utc(at) : null);
        }

        await RememberAsync(connection, tx, tenantId, key, verdict, actor, now, heldId, null, note, ct);
        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "review." + verdict, null, new { heldId }, ct);
        await tx.CommitAsync(ct);
        return new SettleResult(SettleStatus.Settled, heldId, "settled", verdict, actor.ToString(), Utc(now));
    }

    /// <summary>Remembers a verdict for a template key directly (a campaign's template, reviewed before it is queued).</summary>
    public async Task<long> RememberTemplateAsync(string tenantId, byte[] templateKey, string verdict, Actor actor, string? campaignId, string? note,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var id = await RememberAsync(connection, tx, tenantId, templateKey, verdict, actor, clock.GetUtcNow().UtcDateTime, null, campaignId, note, ct);
        await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "review.template." + verdict, null, new { templateId = id, campaignId }, ct);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>The live verdict of a template key, or null.</summary>
    public async Task<TemplateVerdictView?> FindTemplateAsync(string tenantId, byte[] templateKey, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<TemplateRow>(new CommandDefinition(
            $"select {TemplateColumns} from review_templates where tenant_id = @tenantId and template_key = @templateKey and revoked_at is null",
            new { tenantId, templateKey }, cancellationToken: ct));
        return row?.ToView();
    }

    private static async Task<long> RememberAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string tenantId, byte[] key, string verdict,
        Actor actor, DateTime now, Guid? heldId, string? campaignId, string? note, CancellationToken ct)
    {
        // The newest verdict on a template wins; the one it replaces stays, revoked, for the record.
        await connection.ExecuteAsync(new CommandDefinition("""
            update review_templates set revoked_at = @now, revoked_by = @by
            where tenant_id = @tenantId and template_key = @key and revoked_at is null
            """, new { tenantId, key, now, by = actor.ToString() }, tx, cancellationToken: ct));
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            insert into review_templates (tenant_id, template_key, verdict, reviewed_by, reviewed_at, held_id, campaign_id, note)
            values (@tenantId, @key, @verdict, @by, @now, @heldId, @campaignId, @note)
            returning template_id
            """, new { tenantId, key, verdict, by = actor.ToString(), now, heldId, campaignId, note }, tx, cancellationToken: ct));
    }

    /// <summary>Revokes a template's verdict: the next message of that template is held again. False when none live.</summary>
    public async Task<bool> RevokeTemplateAsync(string tenantId, long templateId, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var revoked = await connection.ExecuteAsync(new CommandDefinition("""
            update review_templates set revoked_at = @now, revoked_by = @by
            where tenant_id = @tenantId and template_id = @templateId and revoked_at is null
            """, new { tenantId, templateId, now = clock.GetUtcNow().UtcDateTime, by = actor.ToString() }, tx, cancellationToken: ct)) > 0;
        if (revoked)
        {
            await AdminAudit.WriteAsync(connection, tx, tenantId, actor, "review.template.revoke", null, new { templateId }, ct);
        }

        await tx.CommitAsync(ct);
        return revoked;
    }

    public async Task<IReadOnlyList<TemplateVerdictView>> TemplatesAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. (await connection.QueryAsync<TemplateRow>(new CommandDefinition(
            $"select {TemplateColumns} from review_templates where tenant_id = @tenantId order by template_id",
            new { tenantId }, cancellationToken: ct))).Select(r => r.ToView())];
    }

    /// <summary>The clinic's intents waiting for a review (held), oldest first; <paramref name="all"/> adds the settled ones.</summary>
    public async Task<IReadOnlyList<HeldSummary>> ListAsync(string tenantId, bool all, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. (await connection.QueryAsync<HeldRow>(new CommandDefinition($"""
            select {HeldColumns} from held_intents
            where tenant_id = @tenantId and (@all or status = 'held')
            order by held_at, held_id
            """, new { tenantId, all }, cancellationToken: ct))).Select(r => r.ToSummary())];
    }

    public async Task<HeldDetail?> ShowAsync(string tenantId, Guid heldId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QueryFirstOrDefaultAsync<HeldRow>(new CommandDefinition(
            $"select {HeldColumns}, content, verdict, reviewed_by, reviewed_at, note, final_decision_id from held_intents where tenant_id = @tenantId and held_id = @heldId",
            new { tenantId, heldId }, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }

        var content = row.Content is null ? null : Decrypt(row.Content, tenantId, row.IntentId);
        return new HeldDetail(row.ToSummary(), content?.Intent.Subject, content?.Intent.Body, content?.Sentence, row.Verdict, row.ReviewedBy,
            row.ReviewedAt is { } at ? Utc(at) : null, row.Note, row.FinalDecisionId);
    }

    /// <summary>Reviewed messages as labelled examples: masked text (kept after the content is purged), the reviewer's label.</summary>
    public async Task<IReadOnlyList<LabelLine>> ExportLabelsAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid HeldId, string IntentId, string Channel, byte[]? LabelText, string Verdict, string? Note)>(new CommandDefinition("""
            select held_id, intent_id, channel, label_text, verdict, note from held_intents
            where tenant_id = @tenantId and verdict is not null and label_text is not null
            order by reviewed_at, held_id
            """, new { tenantId }, cancellationToken: ct));
        return [.. rows.Select(r =>
        {
            var text = JsonSerializer.Deserialize<LabelText>(cipher.Decrypt(r.LabelText, tenantId, r.IntentId), Json)!;
            return new LabelLine("review-" + r.HeldId.ToString("N"), "review", text.Lang ?? "", r.Channel,
                text.Declared is { } declared && Enum.TryParse<Purpose>(declared, out var purpose) ? WireNames.Of(purpose) : "unknown",
                text.Subject ?? "", text.Body, r.Verdict, "review", r.Note is null ? null : TemplateKey.MaskValues(r.Note));
        })];
    }

    /// <summary>Intents waiting for a person or for the poller (held or settled), across clinics, and the oldest one's hold time.</summary>
    public async Task<(long Depth, DateTimeOffset? Oldest)> DepthAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleAsync<(long Depth, DateTime? Oldest)>(new CommandDefinition(
            "select count(*), min(held_at) from held_intents where status in ('held', 'settled')", cancellationToken: ct));
        return (row.Depth, row.Oldest is { } oldest ? Utc(oldest) : null);
    }

    internal HeldContent Decrypt(byte[] content, string tenantId, string intentId) =>
        JsonSerializer.Deserialize<HeldContent>(cipher.Decrypt(content, tenantId, intentId), Json)!;

    internal static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private const string HeldColumns = "held_id, intent_id, channel, held_at, expires_at, probability, signals, template_key, status";
    private const string TemplateColumns = "template_id, template_key, verdict, reviewed_by, reviewed_at, held_id, campaign_id, revoked_by, revoked_at";

    internal sealed record HeldContent(MessageIntent Intent, string? Sentence);

    private sealed record LabelText(string? Subject, string Body, string? Lang, string? Declared);

    private sealed record VerdictRow
    {
        public int Rank { get; init; }
        public string Reference { get; init; } = "";
        public string Verdict { get; init; } = "";
        public string ReviewedBy { get; init; } = "";
        public DateTime ReviewedAt { get; init; }
        public string? HeldId { get; init; }
    }

    private sealed record CurrentRow
    {
        public string Status { get; init; } = "";
        public string? Verdict { get; init; }
        public string? ReviewedBy { get; init; }
        public DateTime? ReviewedAt { get; init; }
    }

    private sealed record HeldRow
    {
        public Guid HeldId { get; init; }
        public string IntentId { get; init; } = "";
        public string Channel { get; init; } = "";
        public DateTime HeldAt { get; init; }
        public DateTime ExpiresAt { get; init; }
        public double Probability { get; init; }
        public string[] Signals { get; init; } = [];
        public byte[] TemplateKey { get; init; } = [];
        public string Status { get; init; } = "";
        public byte[]? Content { get; init; }
        public string? Verdict { get; init; }
        public string? ReviewedBy { get; init; }
        public DateTime? ReviewedAt { get; init; }
        public string? Note { get; init; }
        public Guid? FinalDecisionId { get; init; }

        public HeldSummary ToSummary() => new(HeldId, IntentId, Channel, Utc(HeldAt), Utc(ExpiresAt), Probability, Signals,
            Convert.ToHexStringLower(TemplateKey), Status);
    }

    private sealed record TemplateRow
    {
        public long TemplateId { get; init; }
        public byte[] TemplateKey { get; init; } = [];
        public string Verdict { get; init; } = "";
        public string ReviewedBy { get; init; } = "";
        public DateTime ReviewedAt { get; init; }
        public Guid? HeldId { get; init; }
        public string? CampaignId { get; init; }
        public string? RevokedBy { get; init; }
        public DateTime? RevokedAt { get; init; }

        public TemplateVerdictView ToView() => new(TemplateId, Convert.ToHexStringLower(TemplateKey), Verdict, ReviewedBy, Utc(ReviewedAt), HeldId,
            CampaignId, RevokedBy, RevokedAt is { } at ? Utc(at) : null);
    }
}

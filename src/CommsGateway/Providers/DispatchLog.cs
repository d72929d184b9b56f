using CommsGateway.Contracts;
using Dapper;
using Npgsql;

namespace CommsGateway.Providers;

/// <summary>A dispatch row still unsettled, as the reconciler sees it.</summary>
/// <param name="ClaimantAlive">The process that claimed it still holds its lock.</param>
public sealed record UnsettledDispatch(Guid DecisionId, string TenantId, string IntentId, string Channel, string? Provider, DateTime UpdatedAt,
    bool ClaimantAlive);

/// <summary>
/// A claim as a redelivery finds it. <see cref="ClaimantAlive"/>: the claiming process still lives (null: claimed
/// before claimants were recorded). <see cref="AgeSeconds"/> by the database's clock, like the reconciler's threshold.
/// </summary>
public sealed record DispatchClaim(string Status, long? ClaimedBy, bool? ClaimantAlive, double AgeSeconds, DateTime UpdatedAt);

/// <summary>
/// The operational state of a send (table <c>dispatches</c>, 0001) and its delivery events (<c>deliveries</c>, 0003).
/// The decision log is append-only; this is where "was it actually sent?" lives.
/// </summary>
public sealed class DispatchLog : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private readonly NpgsqlDataSource dataSource;

    /// <summary>Completions handed over meanwhile (single sends, and batches' groups, never split) share one UPDATE.</summary>
    private readonly Infrastructure.Batcher<(Guid DecisionId, DispatchResult Result)[], bool> _completions;

    private readonly GatewayInstance instance;

    public DispatchLog(NpgsqlDataSource dataSource, GatewayInstance instance)
    {
        this.dataSource = dataSource;
        this.instance = instance;
        _completions = new Infrastructure.Batcher<(Guid DecisionId, DispatchResult Result)[], bool>(async groups =>
        {
            await FlushCompletionsAsync([.. groups.SelectMany(g => g)]);
            return [.. groups.Select(_ => true)];
        }, new Infrastructure.BatcherOptions(MaxBatch), group => group.Length);
    }

    /// <summary>
    /// Claims the right to call the provider for a decision, BEFORE the call: the row goes in as
    /// <c>dispatching</c>, and the primary key lets exactly one consumer (of any gateway instance) win.
    /// False when a row already exists: that decision was, is being, or may have been sent.
    /// </summary>
    public async Task<bool> TryClaimAsync(Guid decisionId, string tenantId, string intentId, Channel channel, string provider, CancellationToken ct) =>
        (await TryClaimManyAsync([(decisionId, tenantId, intentId, channel, provider)], ct)).Count == 1;

    /// <summary>
    /// <see cref="TryClaimAsync"/> for several decisions in one statement (redeliveries of a batch whose dispatches may
    /// never have been claimed): the decisions this process now holds the claim of.
    /// </summary>
    public async Task<IReadOnlySet<Guid>> TryClaimManyAsync(IReadOnlyList<(Guid DecisionId, string TenantId, string IntentId, Channel Channel, string Provider)> claims,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var claimed = new HashSet<Guid>();
        if (claims.Count == 0)
        {
            return claimed;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { ClaimCommand(claims, instance.Key) } };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            claimed.Add(reader.GetGuid(0));
        }

        return claimed;
    }

    /// <summary>
    /// The claims' statement, for <see cref="TryClaimManyAsync"/> and for the decision writer, which commits new decisions
    /// to send and their claims in one transaction: one row each, unless the decision already has one; returns the
    /// decisions it claimed. <paramref name="claimant"/>: the claiming process (<see cref="GatewayInstance.Key"/>).
    /// </summary>
    internal static NpgsqlBatchCommand ClaimCommand(IReadOnlyList<(Guid DecisionId, string TenantId, string IntentId, Channel Channel, string Provider)> claims,
        long? claimant) => new("""
        insert into dispatches (decision_id, tenant_id, intent_id, channel, status, provider, attempts, claimed_by)
        select c.decision_id, c.tenant_id, c.intent_id, c.channel, 'dispatching', c.provider, 1, $6
        from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) as c(decision_id, tenant_id, intent_id, channel, provider)
        on conflict (decision_id) do nothing
        returning decision_id
        """)
    {
        Parameters =
        {
            new NpgsqlParameter<Guid[]> { TypedValue = [.. claims.Select(c => c.DecisionId)] },
            new NpgsqlParameter<string[]> { TypedValue = [.. claims.Select(c => c.TenantId)], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text },
            new NpgsqlParameter<string[]> { TypedValue = [.. claims.Select(c => c.IntentId)], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text },
            new NpgsqlParameter<string[]> { TypedValue = [.. claims.Select(c => WireNames.Of(c.Channel))], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text },
            new NpgsqlParameter<string[]> { TypedValue = [.. claims.Select(c => c.Provider)], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text },
            new NpgsqlParameter { Value = (object?)claimant ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint },
        },
    };

    /// <summary>The claim of a decision, or null when it has none.</summary>
    public async Task<DispatchClaim?> ReadClaimAsync(Guid decisionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DispatchClaim>(new CommandDefinition($"""
            select d.status, d.claimed_by,
                   case when d.claimed_by is null then null else {GatewayInstance.ClaimantAliveSql("d.claimed_by")} end as claimant_alive,
                   extract(epoch from now() - d.updated_at)::float8 as age_seconds, d.updated_at
            from dispatches d where d.decision_id = @decisionId
            """, new { decisionId }, cancellationToken: ct));
    }

    /// <summary>
    /// Takes over an orphaned claim as this process's, guarded by what the caller saw: of several redeliveries or
    /// instances resuming the same claim, exactly one wins and calls the provider.
    /// </summary>
    public async Task<bool> TakeOverAsync(Guid decisionId, DispatchClaim seen, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(seen);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            update dispatches set claimed_by = @claimant, attempts = attempts + 1, updated_at = now()
             where decision_id = @decisionId and status = 'dispatching'
               and claimed_by is not distinct from @seenClaimant and updated_at = @seenUpdatedAt
            """, new { decisionId, claimant = instance.Key, seenClaimant = seen.ClaimedBy, seenUpdatedAt = seen.UpdatedAt },
            cancellationToken: ct)) == 1;
    }

    /// <summary>
    /// Settles a claimed dispatch with the provider's answer. Batched: concurrent completions share one UPDATE
    /// (and one commit); the caller still awaits its own row's commit, so nothing is acked before it is durable.
    /// </summary>
    public Task CompleteAsync(Guid decisionId, DispatchResult result, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        ct.ThrowIfCancellationRequested();
        return _completions.EnqueueAsync([(decisionId, result)]);
    }

    /// <summary>
    /// Settles a batch's claimed dispatches with their providers' answers in ONE statement (shared with what else is
    /// completing meanwhile), committed when it returns (the caller acks its messages only after). Same guard as
    /// <see cref="CompleteAsync"/>.
    /// </summary>
    public Task CompleteManyAsync(IReadOnlyList<(Guid DecisionId, DispatchResult Result)> completions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(completions);
        ct.ThrowIfCancellationRequested();
        return completions.Count == 0 ? Task.CompletedTask : _completions.EnqueueAsync([.. completions]);
    }

    private async Task FlushCompletionsAsync(List<(Guid DecisionId, DispatchResult Result)> batch)
    {
        // One answer per decision (only its claimant completes it); the status guard keeps a reconciler's
        // settlement from being overwritten, as the single-row update did.
        var rows = batch.DistinctBy(p => p.DecisionId).ToList();
        await using var command = dataSource.CreateCommand("""
            update dispatches d
               set status = u.status, provider = u.provider, provider_message_id = u.provider_message_id,
                   error_code = u.error_code, error_detail = u.error_detail, provider_error_code = u.provider_error_code,
                   updated_at = now()
              from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                   as u(decision_id, status, provider, provider_message_id, error_code, error_detail, provider_error_code)
             where d.decision_id = u.decision_id and d.status = 'dispatching'
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. rows.Select(r => r.DecisionId)] });
        foreach (var column in new Func<DispatchResult, string?>[]
                 {
                     r => r.Succeeded ? "sent" : "failed", r => r.Provider, r => r.ProviderMessageId, r => r.ReasonCode, r => Masked(r.Detail),
                     r => r.ProviderErrorCode,
                 })
        {
            command.Parameters.Add(new NpgsqlParameter<string?[]>
            {
                TypedValue = [.. rows.Select(r => column(r.Result))],
                NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text,
            });
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Writes the completions already handed over, then stops.</summary>
    public ValueTask DisposeAsync() => _completions.DisposeAsync();

    /// <summary>Rows a crash (or a lost database connection) left <c>dispatching</c> for longer than <paramref name="olderThan"/>.</summary>
    public async Task<IReadOnlyList<UnsettledDispatch>> UnsettledAsync(TimeSpan olderThan, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<UnsettledDispatch>(new CommandDefinition($"""
            select decision_id, tenant_id, intent_id, channel, provider, updated_at,
                   claimed_by is not null and {GatewayInstance.ClaimantAliveSql("claimed_by")} as claimant_alive
            from dispatches
            where status = 'dispatching' and updated_at < now() - @olderThan
            order by updated_at
            limit @limit
            """, new { olderThan, limit }, cancellationToken: ct))).ToList();
    }

    /// <summary>Settles an unsettled row; only one reconciler (of N instances) wins, by the status guard.</summary>
    public async Task<bool> SettleAsync(Guid decisionId, string status, string? providerMessageId, string? errorCode, string detail, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            update dispatches
               set status = @status, provider_message_id = coalesce(@providerMessageId, provider_message_id),
                   error_code = @errorCode, error_detail = @detail, updated_at = now()
             where decision_id = @decisionId and status = 'dispatching'
            """, new { decisionId, status, providerMessageId, errorCode, detail = Masked(detail) }, cancellationToken: ct)) == 1;
    }

    /// <summary>
    /// A provider delivery event (Twilio status callback, SendGrid event webhook) for a decision:
    /// appended to <c>deliveries</c>, and the latest status noted on the dispatch row.
    /// </summary>
    public async Task UpdateDeliveryAsync(Guid? decisionId, string provider, string? providerMessageId, string status,
        string? errorCode, string? detail, DateTimeOffset occurredAt, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await UpdateDeliveryAsync(connection, null, decisionId, provider, providerMessageId, status, errorCode, detail, occurredAt, ct);
    }

    /// <summary>The same, inside the caller's transaction (the SendGrid event webhook's de-duplication commits with it).</summary>
    internal static async Task UpdateDeliveryAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, Guid? decisionId, string provider,
        string? providerMessageId, string status, string? errorCode, string? detail, DateTimeOffset occurredAt, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            with target as (
                select decision_id from dispatches
                where (@decisionId::uuid is not null and decision_id = @decisionId)
                   or (@decisionId::uuid is null and provider = @provider and provider_message_id = @providerMessageId)
                limit 1
            ), inserted as (
                insert into deliveries (decision_id, provider, provider_message_id, status, error_code, detail, occurred_at)
                select decision_id, @provider, @providerMessageId, @status, @errorCode, @detail, @occurredAt from target
                returning decision_id
            )
            update dispatches d
               set delivery_status = @status, delivery_updated_at = now(),
                   provider_message_id = coalesce(d.provider_message_id, @providerMessageId)
              from inserted i
             where d.decision_id = i.decision_id
            """, new { decisionId, provider, providerMessageId, status, errorCode, detail = Masked(detail), occurredAt = occurredAt.UtcDateTime },
            tx, cancellationToken: ct));
    }

    // Provider texts quote the recipient at times ("The 'To' number +336... is not valid", a bounce's SMTP reply):
    // stored masked, like logs (GDPR art. 5(1)(c)), so they never outlive an erasure of the contact.
    private static string? Masked(string? text) => text is null ? null : Core.Privacy.PersonalDataMask.Mask(text);

}

/// <summary>A recipient the provider reports as opted out (Twilio 21610: replied STOP).</summary>
public sealed record ProviderOptOut(string TenantId, Channel Channel, string Address, string Provider, string ErrorCode, Guid DecisionId);

/// <summary>
/// Where a provider-reported opt-out goes: the <c>provider_opt_outs</c> note (0003), and, in the same transaction,
/// a consent_events withdrawal (source <c>provider_opt_out</c>) for the patient of the decision and a suppression
/// of the number, so no later decision tries it again (GDPR art. 7(3): the STOP the carrier saw counts).
/// </summary>
public interface IProviderOptOutSink
{
    Task RecordAsync(ProviderOptOut optOut, CancellationToken ct);
}

internal sealed class ProviderOptOutLog(NpgsqlDataSource dataSource, Features.Consent.OptOuts optOuts, TimeProvider clock, ILogger<ProviderOptOutLog> logger) : IProviderOptOutSink
{
    public async Task RecordAsync(ProviderOptOut optOut, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(optOut);
        var address = Core.Contacts.AddressNormalizer.Phone(optOut.Address).Value ?? optOut.Address;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into provider_opt_outs (tenant_id, channel, address, provider, error_code, decision_id)
            values (@TenantId, @channel, @Address, @Provider, @ErrorCode, @DecisionId)
            on conflict (tenant_id, channel, address) do nothing
            """, new { optOut.TenantId, channel = WireNames.Of(optOut.Channel), optOut.Address, optOut.Provider, optOut.ErrorCode, optOut.DecisionId },
            tx, cancellationToken: ct));

        // The patient the refused message was for; else whoever holds that number at this clinic.
        var patients = (await connection.QueryAsync<string>(new CommandDefinition("""
            select patient_id from decisions where decision_id = @DecisionId and patient_id is not null
            union
            select patient_id from contacts where tenant_id = @TenantId and (phone_e164 = @address or whatsapp_e164 = @address)
                and not exists (select 1 from decisions where decision_id = @DecisionId and patient_id is not null)
            """, new { optOut.DecisionId, optOut.TenantId, address }, tx, cancellationToken: ct))).ToList();
        foreach (var patientId in patients)
        {
            await optOuts.WithdrawAsync(connection, tx, new Features.Consent.OptOut(
                optOut.TenantId, patientId, optOut.Channel, Features.Consent.OptOuts.ProviderOptOut, clock.GetUtcNow(),
                new Dictionary<string, string?>
                {
                    ["provider"] = optOut.Provider,
                    ["error_code"] = optOut.ErrorCode,
                    ["decision_id"] = optOut.DecisionId.ToString(),
                }), ct);
        }

        await optOuts.SuppressAsync(connection, tx, optOut.TenantId, optOut.Channel, address, Features.Consent.SuppressionReason.ProviderOptOut, ct);
        await tx.CommitAsync(ct);
        logger.LogWarning("Provider reports recipient opted out on {Channel} for tenant {TenantId} (decision {DecisionId}): withdrawn for {Patients} patient(s), number suppressed",
            optOut.Channel, optOut.TenantId, optOut.DecisionId, patients.Count);
    }
}

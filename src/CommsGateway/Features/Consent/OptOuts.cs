using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Privacy;
using CommsGateway.Features.Admin;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Consent;

/// <summary>
/// A patient's marketing opt-out on one channel, with what proves it: the ledger's source (<see cref="OptOuts"/>'
/// constants), when it happened, and the request's provenance (erasure may blank IP, user agent and evidence later).
/// </summary>
public sealed record OptOut(
    string TenantId,
    string PatientId,
    Channel Channel,
    string Source,
    DateTimeOffset OccurredAt,
    IReadOnlyDictionary<string, string?> Evidence,
    string? Ip = null,
    string? UserAgent = null);

/// <summary>
/// A marketing re-grant by keyword (START/YES/UNSTOP): affirmative and evidenced by the inbound message itself, whose
/// SHA-256 stands for the wording. It lifts the provider's opt-out block of <see cref="NormalizedAddress"/> too.
/// </summary>
public sealed record KeywordResubscription(
    string TenantId,
    string PatientId,
    Channel Channel,
    string Source,
    DateTimeOffset OccurredAt,
    string MessageSha256,
    string NormalizedAddress,
    IReadOnlyDictionary<string, string?> Evidence);

/// <summary>Why an address is blocked (the <c>suppressions.reason</c> column).</summary>
public enum SuppressionReason
{
    HardBounce,
    SpamComplaint,
    ProviderOptOut,
    Erased,
}

/// <summary>
/// The one owner of opt-outs: every withdrawal of marketing consent, whatever its source (one-click unsubscribe, STOP
/// reply, provider unsubscribe, spam complaint, provider-reported opt-out, preference centre, desk, admin API, CLI),
/// and every address block (table <c>suppressions</c>: bounces, complaints, provider opt-outs, erasure). Withdrawals are
/// ledger events appended through <see cref="ConsentLedger"/>'s single append path (per-patient order, per-tenant
/// chain); the transaction-scoped methods run inside the caller's transaction, so the opt-out commits with the
/// evidence that caused it (an unsubscribe request, a webhook's de-duplication row) or not at all.
/// <para>
/// Suppressions are keyed by the HMAC-SHA256 of the normalised address (<see cref="AddressHasher"/>), so the address
/// itself is never kept, nor derivable without the key.
/// </para>
/// </summary>
public sealed class OptOuts(ConsentLedger ledger, AddressHasher hasher)
{
    /// <summary>An unsubscribe link or one-click (RFC 8058) request.</summary>
    public const string UnsubscribeLink = "unsubscribe_link";

    /// <summary>A STOP keyword replied by SMS or WhatsApp (or Twilio Advanced Opt-Out).</summary>
    public const string SmsStop = "sms_stop";

    /// <summary>A START keyword: the re-grant that undoes <see cref="SmsStop"/>.</summary>
    public const string SmsStart = "sms_start";

    /// <summary>The provider's own unsubscribe (SendGrid footer link, group unsubscribe).</summary>
    public const string ProviderUnsubscribe = "provider_unsubscribe";

    /// <summary>The patient reported the message as spam.</summary>
    public const string SpamComplaint = "spam_complaint";

    /// <summary>The provider refused to send because the recipient opted out with the carrier (Twilio 21610).</summary>
    public const string ProviderOptOut = "provider_opt_out";

    /// <summary>
    /// A withdrawal from a form (the desk, the preference centre, the admin API, the CLI): validated as the ledger
    /// validates every command, in its own transaction.
    /// </summary>
    public Task<ConsentRecordResult> WithdrawAsync(ConsentCommand command, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Action != ConsentAction.Withdraw)
        {
            throw new ArgumentException("an opt-out withdraws", nameof(command));
        }

        return ledger.RecordAsync(command, actor, ct);
    }

    /// <summary>Withdraws marketing on the opt-out's channel, inside the caller's transaction. Returns the ledger event id.</summary>
    public Task<long> WithdrawAsync(NpgsqlConnection connection, NpgsqlTransaction tx, OptOut optOut, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(optOut);
        return ledger.AppendPatientEventAsync(connection, tx, new ConsentEventRow(
            new ConsentEventFacts(optOut.TenantId, optOut.PatientId, "marketing", ConsentNames.Name(optOut.Channel), null, "withdraw",
                optOut.OccurredAt, optOut.Source, null, null, null, optOut.Source),
            null, optOut.Ip, optOut.UserAgent, JsonSerializer.Serialize(optOut.Evidence)), ct);
    }

    /// <summary>
    /// Re-grants marketing by keyword and lifts the provider's opt-out block of the number (Twilio unblocks it on START
    /// too); complaint and bounce blocks stay. Inside the caller's transaction. Returns the ledger event id.
    /// </summary>
    public async Task<long> ResubscribeAsync(NpgsqlConnection connection, NpgsqlTransaction tx, KeywordResubscription resubscription, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(resubscription);
        var r = resubscription;
        var eventId = await ledger.AppendPatientEventAsync(connection, tx, new ConsentEventRow(
            new ConsentEventFacts(r.TenantId, r.PatientId, "marketing", ConsentNames.Name(r.Channel), null, "grant", r.OccurredAt,
                r.Source, "keyword:" + r.Source, r.MessageSha256, r.Source, r.Source),
            null, null, null, JsonSerializer.Serialize(r.Evidence)), ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            delete from suppressions
            where tenant_id = @TenantId and channel = @channel and address_hash = @hash and reason = 'provider_opt_out'
            """, new { r.TenantId, channel = ConsentNames.Name(r.Channel), hash = hasher.Hash(r.NormalizedAddress) }, tx, cancellationToken: ct));
        return eventId;
    }

    /// <summary>Blocks a normalised address on a channel for a clinic, inside the caller's transaction. Returns 1 when new.</summary>
    public Task<int> SuppressAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string tenantId, Channel channel,
        string normalizedAddress, SuppressionReason reason, CancellationToken ct) =>
        InsertSuppressionAsync(connection, tx, tenantId, ConsentNames.Name(channel), normalizedAddress, reason, ct);

    /// <summary>
    /// Erasure's blocks: every address the patient had leaves a keyed-hash suppression so it is never marketed to again.
    /// Inside the caller's transaction, which holds the contact row. Returns how many blocks are new.
    /// </summary>
    public async Task<int> SuppressErasedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string tenantId,
        IEnumerable<(string Channel, string Address)> addresses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var added = 0;
        foreach (var (channel, address) in addresses)
        {
            added += await InsertSuppressionAsync(connection, tx, tenantId, channel, address, SuppressionReason.Erased, ct);
        }

        return added;
    }

    /// <summary>The stored reason (stable: reported by the access-request export and the console).</summary>
    public static string Name(SuppressionReason reason) => reason switch
    {
        SuppressionReason.HardBounce => "hard_bounce",
        SuppressionReason.SpamComplaint => "spam_complaint",
        SuppressionReason.ProviderOptOut => "provider_opt_out",
        SuppressionReason.Erased => "erased",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    private Task<int> InsertSuppressionAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string tenantId, string channel,
        string normalizedAddress, SuppressionReason reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.ExecuteAsync(new CommandDefinition("""
            insert into suppressions (tenant_id, channel, address_hash, reason)
            values (@tenantId, @channel, @hash, @reason)
            on conflict do nothing
            """, new { tenantId, channel, hash = hasher.Hash(normalizedAddress), reason = Name(reason) },
            tx, cancellationToken: ct));
    }
}

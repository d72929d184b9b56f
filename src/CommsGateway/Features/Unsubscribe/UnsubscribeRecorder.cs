using System.Net;
using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Consent;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Unsubscribe;

public enum UnsubscribeMethod
{
    /// <summary>RFC 8058 POST of "List-Unsubscribe=One-Click" by a mailbox provider (or anyone holding the link).</summary>
    OneClick,

    /// <summary>The patient pressed a button on the unsubscribe page.</summary>
    Page,
}

/// <summary>One unsubscribe request, with the evidence kept for it (GDPR art. 7(1)).</summary>
public sealed record UnsubscribeRequest(
    string TenantId,
    string SubscriberRef,
    IReadOnlyList<Channel> Channels,
    UnsubscribeScope Scope,
    UnsubscribeMethod Method,
    string? CampaignId,
    string KeyId,
    DateTimeOffset TokenIssuedAt,
    IPAddress? Ip,
    string? UserAgent)
{
    public const int MaxUserAgentLength = 512;

    /// <summary>The channels a scope covers: the token's own, or every marketing channel.</summary>
    public static IReadOnlyList<Channel> ChannelsFor(UnsubscribeScope scope, Channel tokenChannel) =>
        scope == UnsubscribeScope.AllMarketing ? [Channel.Email, Channel.Sms, Channel.WhatsApp] : [tokenChannel];

    public static UnsubscribeRequest From(UnsubscribeClaims claims, UnsubscribeScope scope, UnsubscribeMethod method, IPAddress? ip, string? userAgent)
    {
        ArgumentNullException.ThrowIfNull(claims);
        return new UnsubscribeRequest(claims.TenantId, claims.SubscriberRef, ChannelsFor(scope, claims.Channel), scope, method,
            claims.CampaignId, claims.KeyId, claims.IssuedAt, ip,
            userAgent is { Length: > MaxUserAgentLength } ? userAgent[..MaxUserAgentLength] : userAgent);
    }
}

/// <summary>
/// THE seam through which every link or one-click unsubscribe withdraws marketing consent: it appends the request's
/// evidence to unsubscribe_events and, in the same transaction, one consent_events withdrawal per channel (purpose
/// marketing, source unsubscribe_link). Repeating is harmless: each request is evidence, and withdrawing what is
/// already withdrawn leaves the state as it is.
/// </summary>
public sealed class UnsubscribeRecorder(NpgsqlDataSource dataSource, OptOuts optOuts, TimeProvider clock, ILogger<UnsubscribeRecorder> logger)
{
    public async Task WithdrawAsync(UnsubscribeRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requestId = Guid.CreateVersion7(clock.GetUtcNow());
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var patientId = await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition("""
            select patient_id from unsubscribe_subscribers where tenant_id = @TenantId and subscriber_ref = @SubscriberRef
            """, new { request.TenantId, request.SubscriberRef }, tx, cancellationToken: ct));

        foreach (var channel in request.Channels.Distinct())
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into unsubscribe_events (request_id, tenant_id, subscriber_ref, patient_id, channel, scope, method,
                    campaign_id, key_id, token_issued_at, ip, user_agent, occurred_at)
                values (@requestId, @TenantId, @SubscriberRef, @patientId, @channel, @scope, @method,
                    @CampaignId, @KeyId, @TokenIssuedAt, cast(@ip as inet), @UserAgent, @now)
                """, new
            {
                requestId, request.TenantId, request.SubscriberRef, patientId, channel = WireNames.Of(channel),
                scope = request.Scope == UnsubscribeScope.AllMarketing ? "all_marketing" : "channel",
                method = request.Method == UnsubscribeMethod.OneClick ? "one_click" : "page",
                request.CampaignId, request.KeyId, request.TokenIssuedAt, ip = request.Ip?.ToString(), request.UserAgent, now,
            }, tx, cancellationToken: ct));
        }

        // Withdraw in the consent ledger in the same transaction: committed before the 200 goes back, so every
        // decision made after it sees the withdrawal (GDPR art. 7(3): as easy as giving, effective at once).
        if (patientId is not null)
        {
            foreach (var channel in request.Channels.Distinct())
            {
                await optOuts.WithdrawAsync(connection, tx, new OptOut(
                    request.TenantId, patientId, channel, OptOuts.UnsubscribeLink, now,
                    new Dictionary<string, string?>
                    {
                        ["request_id"] = requestId.ToString(),
                        ["key_id"] = request.KeyId,
                        ["method"] = request.Method == UnsubscribeMethod.OneClick ? "one_click" : "page",
                        ["scope"] = request.Scope == UnsubscribeScope.AllMarketing ? "all_marketing" : "channel",
                        ["campaign_id"] = request.CampaignId,
                        ["token_issued_at"] = request.TokenIssuedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    },
                    request.Ip?.ToString(), request.UserAgent), ct);
            }
        }

        await tx.CommitAsync(ct);

        if (patientId is null)
        {
            logger.LogWarning("Unsubscribe {RequestId} for tenant {TenantId}: subscriber reference not mapped to a patient",
                requestId, request.TenantId);
        }

        logger.LogInformation("Unsubscribe {RequestId} for tenant {TenantId}: {Scope} {Channels} via {Method} (key {KeyId})",
            requestId, request.TenantId, request.Scope, string.Join(',', request.Channels), request.Method, request.KeyId);
    }

}

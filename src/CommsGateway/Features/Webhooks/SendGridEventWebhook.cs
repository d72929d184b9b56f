using System.Globalization;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Contacts;
using CommsGateway.Core.Security;
using CommsGateway.Features.Consent;
using CommsGateway.Providers;
using CommsGateway.Hosting;
using Dapper;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace CommsGateway.Features.Webhooks;

/// <summary>What one event-webhook delivery did.</summary>
public sealed record SendGridEventsResult(int Received, int Applied, int Duplicates, int Ignored);

/// <summary>
/// SendGrid's Event Webhook: a signed JSON array of events (ECDSA P-256 over timestamp + raw body). Each
/// <c>sg_event_id</c> takes effect once: SendGrid retries deliveries for up to 24 hours. Unsubscribes and spam
/// complaints withdraw email marketing for the patient of the decision named in custom_args (ids only, never an
/// address); complaints and hard bounces suppress the address; delivery events update the delivery record.
/// </summary>
public static class SendGridEventWebhook
{
    /// <summary>SendGrid posts at most a few thousand events per request; far below this.</summary>
    private const long MaxBodyBytes = 8 * 1024 * 1024;

    public static IEndpointRouteBuilder MapSendGridEventWebhook(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGroup("/webhooks/sendgrid").MapPost("/events", HandleAsync).DisableAntiforgery().WithBodyLimit(MaxBodyBytes);
        return endpoints;
    }

    internal static async Task<Results<Ok<SendGridEventsResult>, StatusCodeHttpResult, ProblemHttpResult>> HandleAsync(
        HttpContext context,
        SendGridEventVerifier verifier,
        NpgsqlDataSource dataSource,
        OptOuts optOuts,
        TimeProvider clock,
        Observability.GatewayMetrics metrics,
        ILogger<SendGridEventWebhookLog> logger)
    {
        var request = context.Request;
        var ct = context.RequestAborted;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        // The signature covers the exact bytes sent: read them raw, before any JSON parsing.
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        var raw = buffer.ToArray();
        if (!verifier.Verify(request.Headers[SendGridEventSignature.SignatureHeader], request.Headers[SendGridEventSignature.TimestampHeader], raw))
        {
            logger.LogWarning("Rejected a SendGrid event delivery with a missing or invalid signature");
            metrics.WebhookRefused("sendgrid", "bad_signature");
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }

        // Signed, but when? The timestamp is part of what was signed: outside the window it is a replay (or a clock
        // far off), and its unsubscribes, bounces and complaints are not applied.
        if (!verifier.WithinReplayWindow(request.Headers[SendGridEventSignature.TimestampHeader], clock.GetUtcNow()))
        {
            logger.LogWarning("Rejected a signed SendGrid event delivery outside the replay window");
            metrics.WebhookRefused("sendgrid", "outside_replay_window");
            return Problems.Typed(StatusCodes.Status403Forbidden, Problems.WebhookReplay,
                "The signed timestamp is outside the replay window (SendGrid:EventWebhook:ReplayWindowSeconds).");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(raw);
        }
        catch (JsonException)
        {
            return Problems.Typed(StatusCodes.Status400BadRequest, Problems.BadRequest, "JSON array of events expected");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return Problems.Typed(StatusCodes.Status400BadRequest, Problems.BadRequest, "JSON array of events expected");
            }

            int applied = 0, duplicates = 0, ignored = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                var outcome = SendGridEvent.From(element, clock.GetUtcNow()) is { } e
                    ? await ApplyAsync(dataSource, optOuts, e, clock.GetUtcNow(), logger, ct)
                    : Outcome.Ignored;
                _ = outcome switch
                {
                    Outcome.Applied => applied++,
                    Outcome.Duplicate => duplicates++,
                    _ => ignored++,
                };
            }

            logger.LogInformation("SendGrid events: {Applied} applied, {Duplicates} duplicates, {Ignored} ignored", applied, duplicates, ignored);
            return TypedResults.Ok(new SendGridEventsResult(document.RootElement.GetArrayLength(), applied, duplicates, ignored));
        }
    }

    private enum Outcome
    {
        Applied,
        Duplicate,
        Ignored,
    }

    /// <summary>One event, its de-duplication row and its effects commit together: a crash mid-way is retried whole.</summary>
    private static async Task<Outcome> ApplyAsync(NpgsqlDataSource dataSource, OptOuts optOuts, SendGridEvent e, DateTimeOffset now, ILogger logger, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var decision = e.DecisionId is { } id
            ? await connection.QueryFirstOrDefaultAsync<(string TenantId, string? PatientId)?>(new CommandDefinition(
                "select tenant_id, patient_id from decisions where decision_id = @id order by seq limit 1", new { id }, tx, cancellationToken: ct))
            : null;
        var first = await connection.ExecuteAsync(new CommandDefinition("""
            insert into sendgrid_events (sg_event_id, event, decision_id, tenant_id, occurred_at)
            values (@EventId, @Event, @DecisionId, @tenantId, @occurredAt)
            on conflict (sg_event_id) do nothing
            """, new { e.EventId, e.Event, e.DecisionId, tenantId = decision?.TenantId, occurredAt = e.OccurredAt.UtcDateTime }, tx, cancellationToken: ct)) == 1;
        if (!first)
        {
            return Outcome.Duplicate;
        }

        if (decision is not { } d)
        {
            // Without the decision there is no tenant: suppressions and consent are per clinic. Kept as seen.
            logger.LogWarning("SendGrid {Event} {EventId} names no known decision; nothing to apply", e.Event, e.EventId);
            await tx.CommitAsync(ct);
            return Outcome.Ignored;
        }

        var address = AddressNormalizer.Email(e.Email).Value
            ?? await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition(
                "select email from contacts where tenant_id = @TenantId and patient_id = @PatientId", new { d.TenantId, d.PatientId }, tx, cancellationToken: ct));
        var evidence = new Dictionary<string, string?>
        {
            ["provider"] = "sendgrid",
            ["event"] = e.Event,
            ["sg_event_id"] = e.EventId,
            ["sg_message_id"] = e.MessageId,
            ["decision_id"] = e.DecisionId?.ToString(),
            ["asm_group_id"] = e.AsmGroupId,
        };

        switch (e.Event)
        {
            case "unsubscribe" or "group_unsubscribe" or "spamreport" when d.PatientId is { Length: > 0 } patient:
                // The patient said stop through their mailbox (link in SendGrid's footer, or "report spam"): art. 7(3).
                await optOuts.WithdrawAsync(connection, tx, new OptOut(d.TenantId, patient, Channel.Email,
                    e.Event == "spamreport" ? OptOuts.SpamComplaint : OptOuts.ProviderUnsubscribe, Min(e.OccurredAt, now), evidence), ct);
                break;
        }

        if (address is not null && (e.Event == "spamreport" || e.IsHardBounce))
        {
            await optOuts.SuppressAsync(connection, tx, d.TenantId, Channel.Email, address,
                e.Event == "spamreport" ? SuppressionReason.SpamComplaint : SuppressionReason.HardBounce, ct);
        }

        if (e.Event is "delivered" or "dropped" or "deferred" or "bounce")
        {
            await DispatchLog.UpdateDeliveryAsync(connection, tx, e.DecisionId, "sendgrid", e.ProviderMessageId, e.Event,
                e.BounceType, e.Reason, e.OccurredAt, ct);
        }

        await tx.CommitAsync(ct);
        return Outcome.Applied;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}

/// <summary>The fields of a SendGrid event the gateway uses (twilio.com/docs/sendgrid/for-developers/tracking-events/event).</summary>
internal sealed record SendGridEvent(
    string EventId,
    string Event,
    DateTimeOffset OccurredAt,
    Guid? DecisionId,
    string? Email,
    string? MessageId,
    string? BounceType,
    string? Reason,
    string? AsmGroupId)
{
    /// <summary>"bounce" with type "bounce" is permanent; type "blocked" is a soft, temporary refusal.</summary>
    public bool IsHardBounce => Event == "bounce" && BounceType is null or "bounce";

    /// <summary>sg_message_id is the X-Message-Id plus a filter suffix after the first dot.</summary>
    public string? ProviderMessageId => MessageId?.Split('.')[0];

    public static SendGridEvent? From(JsonElement e, DateTimeOffset now)
    {
        if (e.ValueKind != JsonValueKind.Object || Text(e, "sg_event_id") is not { Length: > 0 } id || Text(e, "event") is not { Length: > 0 } name)
        {
            return null;
        }

        var occurred = e.TryGetProperty("timestamp", out var ts) && ts.TryGetInt64(out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : now;
        return new SendGridEvent(id, name, occurred,
            Guid.TryParse(Text(e, "decision_id"), CultureInfo.InvariantCulture, out var decision) ? decision : null,
            Text(e, "email"), Text(e, "sg_message_id"), Text(e, "type"), Text(e, "reason") ?? Text(e, "response"),
            e.TryGetProperty("asm_group_id", out var group) ? group.ToString() : null);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>Log category for the webhook.</summary>
public sealed class SendGridEventWebhookLog;

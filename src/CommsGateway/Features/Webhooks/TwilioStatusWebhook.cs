using System.Globalization;
using CommsGateway.Hosting;
using CommsGateway.Providers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsGateway.Features.Webhooks;

/// <summary>
/// Twilio message status callbacks (queued, sent, delivered, undelivered, failed + ErrorCode), verified with
/// X-Twilio-Signature over the PUBLIC URL Twilio called (Gateway:PublicBaseUrl, not the proxied request URL).
/// </summary>
public static class TwilioStatusWebhook
{
    public static IEndpointRouteBuilder MapTwilioStatusWebhook(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapTwilioWebhookGroup().MapPost("/status", HandleAsync);
        return endpoints;
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> HandleAsync(
        HttpRequest request,
        DispatchLog dispatches,
        IProviderOptOutSink optOuts,
        TimeProvider clock,
        ILogger<TwilioStatusWebhookLog> logger,
        CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct); // verified by the front door (TwilioWebhookForm)
        var status = form["MessageStatus"].ToString();
        if (status.Length == 0)
        {
            return Problems.Typed(StatusCodes.Status400BadRequest, Problems.BadRequest, "MessageStatus missing");
        }

        Guid? decisionId = Guid.TryParse(request.Query["decisionId"], CultureInfo.InvariantCulture, out var d) ? d : null;
        var sid = form["MessageSid"].ToString();
        var errorCode = form["ErrorCode"].ToString() is { Length: > 0 } code ? code : null;
        await dispatches.UpdateDeliveryAsync(decisionId, "twilio", sid.Length > 0 ? sid : null, status, errorCode,
            errorCode is null ? null : "twilio error " + errorCode, clock.GetUtcNow(), ct);

        // 21610 can also arrive asynchronously: the carrier reports the STOP after accepting the message.
        if (errorCode == "21610" && decisionId is { } id && form["To"].ToString() is { Length: > 0 } to)
        {
            var tenant = request.Query["tenantId"].ToString();
            var channel = to.StartsWith("whatsapp:", StringComparison.Ordinal) ? Contracts.Channel.WhatsApp : Contracts.Channel.Sms;
            await optOuts.RecordAsync(new ProviderOptOut(tenant, channel, to.Replace("whatsapp:", "", StringComparison.Ordinal), "twilio", errorCode, id), ct);
        }

        logger.LogInformation("Twilio status {Status} for decision {DecisionId} (error {ErrorCode})", status, decisionId, errorCode);
        return TypedResults.NoContent();
    }
}

/// <summary>Log category for the webhook.</summary>
public sealed class TwilioStatusWebhookLog;

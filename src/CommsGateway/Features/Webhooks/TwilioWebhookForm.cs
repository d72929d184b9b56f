using CommsGateway.Core.Webhooks;

namespace CommsGateway.Features.Webhooks;

/// <summary>
/// Reads a Twilio webhook's form and checks X-Twilio-Signature over the public URL Twilio called plus the POST
/// parameters (Twilio's request-validation scheme). Shared by the status callback and the inbound-message webhook.
/// </summary>
internal static class TwilioWebhookForm
{
    /// <summary>The form when the signature is valid, else null (the caller answers 403 and changes nothing).</summary>
    public static async Task<IFormCollection?> ReadVerifiedAsync(HttpRequest request, string authToken, string publicBaseUrl, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        // A repeated parameter counts once per value (name+value each), as Twilio signs it; not comma-joined.
        var parameters = form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? ""))).ToList();
        var url = publicBaseUrl.TrimEnd('/') + request.Path + request.QueryString;
        return TwilioSignature.IsValid(authToken, url, parameters, request.Headers["X-Twilio-Signature"].ToString()) ? form : null;
    }
}

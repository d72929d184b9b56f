using Twilio.Security;

namespace CommsGateway.Features.Webhooks;

/// <summary>
/// Reads a Twilio webhook's form and checks X-Twilio-Signature over the public URL Twilio called plus the POST
/// parameters, with the Twilio SDK's <see cref="RequestValidator"/>. Shared by the status callback and the
/// inbound-message webhook.
/// </summary>
internal static class TwilioWebhookForm
{
    /// <summary>The form when the signature is valid, else null (the caller answers 403 and changes nothing).</summary>
    public static async Task<IFormCollection?> ReadVerifiedAsync(HttpRequest request, string authToken, string publicBaseUrl, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var parameters = form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? "")));
        // The URL Twilio called is the public one (behind the TLS proxy), not the one this process listens on.
        var url = publicBaseUrl.TrimEnd('/') + request.Path + request.QueryString;
        return IsValid(authToken, url, parameters, request.Headers["X-Twilio-Signature"].ToString()) ? form : null;
    }

    /// <summary>
    /// Twilio signs a repeated parameter once per value (name+value each, values sorted); the SDK takes one value per
    /// name and appends name+value. Joining a name's sorted values with the name itself (v1 + name + v2) makes the
    /// SDK's string the one Twilio signed: name v1 name v2.
    /// </summary>
    internal static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters, string? signature)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var joined = parameters.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(
            g => g.Key, g => string.Join(g.Key, g.Select(p => p.Value).Order(StringComparer.Ordinal)), StringComparer.Ordinal);
        return new RequestValidator(authToken).Validate(url, joined, signature);
    }
}

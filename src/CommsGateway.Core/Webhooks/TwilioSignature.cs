using System.Security.Cryptography;
using System.Text;

namespace CommsGateway.Core.Webhooks;

/// <summary>
/// Twilio's webhook signature (X-Twilio-Signature): base64 HMAC-SHA1, keyed with the auth token, over the
/// full public URL Twilio called followed by every POST parameter as name+value, sorted by name
/// (twilio.com/docs/usage/webhooks/webhooks-security), a repeated parameter once per value. What Twilio computes when
/// it calls a webhook: the tests and the fake provider sign with it; the gateway verifies with Twilio's SDK
/// (<c>Features/Webhooks/TwilioWebhookForm</c>).
/// </summary>
public static class TwilioSignature
{
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> postParameters)
    {
        ArgumentNullException.ThrowIfNull(authToken);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(postParameters);
        var data = new StringBuilder(url);
        foreach (var (key, value) in postParameters.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            data.Append(key).Append(value);
        }

        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
        return Convert.ToBase64String(mac);
    }
}

using System.Security.Cryptography;
using System.Text;

namespace CommsGateway.Core.Webhooks;

/// <summary>
/// Twilio's webhook signature (X-Twilio-Signature): base64 HMAC-SHA1, keyed with the auth token, over the
/// full public URL Twilio called followed by every POST parameter as name+value, sorted by name
/// (twilio.com/docs/usage/webhooks/webhooks-security). Pure, so the status and inbound-STOP webhooks share it.
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

    /// <summary>Constant-time comparison, so the check leaks nothing about how much of a forged signature matched.</summary>
    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> postParameters, string? signature)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(authToken, url, postParameters));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CommsGateway.FakeProviders;

/// <summary>
/// Signs event-webhook deliveries as SendGrid's Signed Event Webhook does: ECDSA P-256, SHA-256 over the timestamp
/// header followed by the raw body, DER signature in base64. A fresh key per fake; configure the gateway with
/// <see cref="PublicKey"/> (SendGrid:EventWebhook:PublicKey).
/// </summary>
public sealed class SendGridEventSigner : IDisposable
{
    public const string SignatureHeader = "X-Twilio-Email-Event-Webhook-Signature";
    public const string TimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>Base64 DER SubjectPublicKeyInfo, the form SendGrid shows in its settings page.</summary>
    public string PublicKey => Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo());

    public string Sign(string timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(timestamp);
        ArgumentNullException.ThrowIfNull(body);
        var signed = Encoding.UTF8.GetBytes(timestamp + body);
        return Convert.ToBase64String(_key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    /// <summary>A POST of <paramref name="json"/> to the gateway's event webhook, signed now.</summary>
    public HttpRequestMessage Request(string path, string json, DateTimeOffset now)
    {
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.RelativeOrAbsolute))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(SignatureHeader, Sign(timestamp, json));
        request.Headers.Add(TimestampHeader, timestamp);
        return request;
    }

    public void Dispose() => _key.Dispose();
}

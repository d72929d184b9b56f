using System.Security.Cryptography;
using System.Text;

namespace CommsGateway.Core.Security;

/// <summary>
/// Verifies SendGrid's Signed Event Webhook: ECDSA P-256 with SHA-256 over the UTF-8 timestamp header followed by the
/// raw request body; the signature header is base64 DER (RFC 3279 Ecdsa-Sig-Value), the public key base64 DER
/// SubjectPublicKeyInfo as SendGrid shows it. Returns false (never throws) on any malformed input.
/// </summary>
public sealed class SendGridEventSignature : IDisposable
{
    public const string SignatureHeader = "X-Twilio-Email-Event-Webhook-Signature";
    public const string TimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp";

    private readonly ECDsa _key;

    public SendGridEventSignature(string publicKeyBase64)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(publicKeyBase64);
        _key = ECDsa.Create();
        _key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(publicKeyBase64.Trim()), out _);
        // The curve itself, not its size: brainpoolP256r1 or secp256k1 keys are 256 bits too.
        if (_key.ExportParameters(includePrivateParameters: false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            _key.Dispose();
            throw new ArgumentException("The SendGrid event webhook key must be an ECDSA P-256 public key", nameof(publicKeyBase64));
        }
    }

    public bool Verify(string? signatureBase64, string? timestamp, ReadOnlySpan<byte> rawBody)
    {
        if (string.IsNullOrWhiteSpace(signatureBase64) || string.IsNullOrWhiteSpace(timestamp))
        {
            return false;
        }

        var signature = new byte[(signatureBase64.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(signatureBase64.Trim(), signature, out var length))
        {
            return false;
        }

        var timestampBytes = Encoding.UTF8.GetBytes(timestamp);
        var signed = new byte[timestampBytes.Length + rawBody.Length];
        timestampBytes.CopyTo(signed, 0);
        rawBody.CopyTo(signed.AsSpan(timestampBytes.Length));
        try
        {
            return _key.VerifyData(signed, signature.AsSpan(0, length), HashAlgorithmName.SHA256,
                DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public void Dispose() => _key.Dispose();
}

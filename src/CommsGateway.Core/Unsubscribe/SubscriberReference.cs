using System.Security.Cryptography;
using System.Text;

namespace CommsGateway.Core.Unsubscribe;

/// <summary>
/// The opaque subscriber reference carried in unsubscribe tokens: HMAC-SHA256(subscriber key, tenant \0 patient),
/// truncated to 128 bits, hex. Chosen over a random reference because it is computed without I/O (rendering stays
/// pure), one patient always gets the same reference (one lookup row per patient, not per message), and nobody
/// without the key can link it to a patient id or enumerate references (GDPR art. 4(5) pseudonymisation).
/// The gateway keeps reference -> patient in unsubscribe_subscribers, written when a link is issued, so lookups
/// survive a change of the subscriber key.
/// </summary>
public static class SubscriberReference
{
    public const int Bytes = 16;

    public static string Compute(ReadOnlySpan<byte> subscriberKey, string tenantId, string patientId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(patientId);
        if (subscriberKey.Length < UnsubscribeKeyRing.MinSecretBytes)
        {
            throw new ArgumentException($"The subscriber key must have at least {UnsubscribeKeyRing.MinSecretBytes} bytes", nameof(subscriberKey));
        }

        // The separator keeps ("ab","c") and ("a","bc") apart; ids cannot contain NUL (the validator refuses control chars).
        var input = Encoding.UTF8.GetBytes(tenantId + "\0" + patientId);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(subscriberKey, input, mac);
        return Convert.ToHexStringLower(mac[..Bytes]);
    }
}

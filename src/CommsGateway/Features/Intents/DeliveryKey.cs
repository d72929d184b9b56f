using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RabbitMQ.Client;

namespace CommsGateway.Features.Intents;

/// <summary>
/// The key of a published message that carries no usable IntentId, so that every published message gets its own
/// decision and a redelivery of the same message finds it again. In order:
/// <list type="number">
/// <item>the transport message id, whatever its form: the AMQP <c>message_id</c> property (a GUID or not), or
/// MassTransit's envelope <c>messageId</c>;</item>
/// <item>else a SHA-256 of the full body bytes and the delivery identity the publisher set: the AMQP
/// <c>timestamp</c>, <c>correlation_id</c>, <c>app_id</c> and <c>type</c> properties. These survive a redelivery;
/// two byte-identical bodies published with identical properties and no message id cannot be told apart from a
/// re-publish, and share one decision.</item>
/// </list>
/// </summary>
internal static class DeliveryKey
{
    private const string Prefix = "rejected:";

    /// <summary>Longest message id used as it is; a longer one is hashed so the key fits the IntentId column.</summary>
    private const int MaxMessageIdLength = 160;

    public static string For(string? messageId, ReadOnlySpan<byte> body, IReadOnlyBasicProperties? properties)
    {
        if (!string.IsNullOrWhiteSpace(messageId))
        {
            return Prefix + (messageId.Length <= MaxMessageIdLength
                ? messageId
                : "msgid-sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(messageId))));
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(body);
        // Length-prefixed, so no two property sets run together into the same bytes.
        foreach (var part in new[]
                 {
                     properties?.IsTimestampPresent() == true ? properties!.Timestamp.UnixTime.ToString(CultureInfo.InvariantCulture) : null,
                     properties?.CorrelationId, properties?.AppId, properties?.Type,
                 })
        {
            var bytes = Encoding.UTF8.GetBytes(part ?? "");
            hash.AppendData(BitConverter.GetBytes(part is null ? -1 : bytes.Length));
            hash.AppendData(bytes);
        }

        return Prefix + "body-sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

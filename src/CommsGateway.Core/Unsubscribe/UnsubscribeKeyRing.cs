using System.Collections.Frozen;

namespace CommsGateway.Core.Unsubscribe;

/// <summary>One signing key of the ring: a short ASCII id (carried in every token) and its secret.</summary>
public sealed record UnsubscribeKey(string Id, byte[] Secret);

/// <summary>
/// The unsubscribe keys: the active key signs new tokens, every key of the ring verifies, so a key can be
/// rotated without breaking links already sent (they must keep working for at least a year).
/// </summary>
public sealed class UnsubscribeKeyRing
{
    /// <summary>HMAC-SHA256 keys shorter than the hash output weaken it (RFC 2104 section 3).</summary>
    public const int MinSecretBytes = 32;

    public const int MaxKeyIdLength = 32;

    private readonly FrozenDictionary<string, byte[]> _keys;

    public UnsubscribeKeyRing(IEnumerable<UnsubscribeKey> keys, string activeKeyId)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var dictionary = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (Problem(key) is { } problem)
            {
                throw new ArgumentException(problem, nameof(keys));
            }

            if (!dictionary.TryAdd(key.Id, key.Secret.ToArray()))
            {
                throw new ArgumentException($"Duplicate unsubscribe key id '{key.Id}'", nameof(keys));
            }
        }

        if (!dictionary.ContainsKey(activeKeyId))
        {
            throw new ArgumentException($"Active unsubscribe key '{activeKeyId}' is not in the key ring", nameof(activeKeyId));
        }

        _keys = dictionary.ToFrozenDictionary(StringComparer.Ordinal);
        ActiveKeyId = activeKeyId;
    }

    public string ActiveKeyId { get; }

    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    internal byte[] ActiveSecret => _keys[ActiveKeyId];

    internal bool TryGetSecret(string keyId, out byte[] secret) => _keys.TryGetValue(keyId, out secret!);

    /// <summary>Why a key cannot join the ring, or null when it can (used by options validation too).</summary>
    public static string? Problem(UnsubscribeKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (string.IsNullOrEmpty(key.Id) || key.Id.Length > MaxKeyIdLength || !key.Id.All(c => c is > ' ' and < (char)127))
        {
            return $"Unsubscribe key id must be 1-{MaxKeyIdLength} printable ASCII characters";
        }

        return key.Secret is null || key.Secret.Length < MinSecretBytes
            ? $"Unsubscribe key '{key.Id}' must have a secret of at least {MinSecretBytes} bytes"
            : null;
    }
}

using System.Security.Cryptography;
using CommsGateway.Hosting;
using Microsoft.Extensions.Options;

namespace CommsGateway.Features.Review;

public sealed class ReviewOptions
{
    public const string Section = "Review";

    /// <summary>
    /// Base64 of at least 32 random bytes: the AES-256-GCM key of held intents' content (the review queue keeps the
    /// message until a person settles it). Changing it makes the content of intents still held unreadable.
    /// </summary>
    public string ContentKey { get; set; } = "";
}

/// <summary>
/// Fails the start on a missing or short key, and outside Development and Testing on the key committed in
/// appsettings.json (anyone with the repository could read the held messages), like
/// <see cref="Privacy.PrivacyOptionsValidator"/> for the address hash key. Never echoes the key.
/// </summary>
internal sealed class ReviewOptionsValidator(IHostEnvironment environment) : IValidateOptions<ReviewOptions>
{
    /// <summary>The key committed in appsettings.json (public, hence never acceptable in production).</summary>
    internal const string DevelopmentContentKey = "XcMBb2CPpBr9fLD0HjqW4s/FPbOw/Lmsc3oielBSRIs=";

    public const int MinimumKeyBytes = 32;

    public ValidateOptionsResult Validate(string? name, ReviewOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return SecretKeys.Validate(environment, "Review:ContentKey", options.ContentKey, DevelopmentContentKey, MinimumKeyBytes);
    }

    /// <summary>The first 32 bytes of the decoded key (AES-256), or null when it is not base64 of at least 32 bytes.</summary>
    internal static byte[]? DecodeKey(string? value) => SecretKeys.Decode(value, MinimumKeyBytes)?[..MinimumKeyBytes];
}

/// <summary>
/// AES-256-GCM for the review queue's content: nonce (12 bytes) || ciphertext || tag (16 bytes). The row's tenant and
/// intent are the associated data, so a ciphertext copied onto another row does not decrypt.
/// </summary>
public sealed class ReviewCipher(byte[] key)
{
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, string tenantId, string intentId)
    {
        var sealedBytes = new byte[NonceBytes + plaintext.Length + TagBytes];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceBytes, plaintext.Length), sealedBytes.AsSpan(NonceBytes + plaintext.Length), Associated(tenantId, intentId));
        return sealedBytes;
    }

    public byte[] Decrypt(ReadOnlySpan<byte> sealedBytes, string tenantId, string intentId)
    {
        if (sealedBytes.Length < NonceBytes + TagBytes)
        {
            throw new CryptographicException("Held content is truncated");
        }

        var plaintext = new byte[sealedBytes.Length - NonceBytes - TagBytes];
        using var aes = new AesGcm(key, TagBytes);
        aes.Decrypt(sealedBytes[..NonceBytes], sealedBytes.Slice(NonceBytes, plaintext.Length), sealedBytes[^TagBytes..], plaintext, Associated(tenantId, intentId));
        return plaintext;
    }

    private static byte[] Associated(string tenantId, string intentId) => System.Text.Encoding.UTF8.GetBytes(tenantId + "\n" + intentId);
}

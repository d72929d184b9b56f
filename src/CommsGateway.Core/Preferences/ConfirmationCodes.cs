using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace CommsGateway.Core.Preferences;

/// <summary>
/// The code in a double opt-in confirmation link: a random 128-bit id of the pending grant plus a 128-bit
/// HMAC-SHA256 of it under the gateway's key, base64url (43 characters). The id says nothing about the patient; the
/// MAC lets a forged or altered link be refused before any lookup.
/// </summary>
public static class ConfirmationCodes
{
    private const int IdBytes = 16;
    private const int MacBytes = 16;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("commsgw-consent-confirmation\0");

    public static (string Code, string PendingId) Issue(ReadOnlySpan<byte> key)
    {
        var id = RandomNumberGenerator.GetBytes(IdBytes);
        var buffer = new byte[IdBytes + MacBytes];
        id.CopyTo(buffer, 0);
        Mac(key, id, buffer.AsSpan(IdBytes));
        return (Base64Url.EncodeToString(buffer), Convert.ToHexStringLower(id));
    }

    /// <summary>The pending grant's id, or null for anything not issued under this key.</summary>
    public static string? Verify(ReadOnlySpan<byte> key, string? code)
    {
        if (code is null || code.Length != Base64Url.GetEncodedLength(IdBytes + MacBytes) || !Base64Url.IsValid(code))
        {
            return null;
        }

        var bytes = new byte[IdBytes + MacBytes];
        if (!Base64Url.TryDecodeFromChars(code, bytes, out var written) || written != bytes.Length)
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(key, bytes.AsSpan(0, IdBytes), expected);
        return CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(IdBytes))
            ? Convert.ToHexStringLower(bytes.AsSpan(0, IdBytes))
            : null;
    }

    private static void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> id, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[Domain.Length + IdBytes];
        Domain.CopyTo(input);
        id.CopyTo(input[Domain.Length..]);
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, input, full);
        full[..MacBytes].CopyTo(destination);
    }
}

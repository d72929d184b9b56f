using System.Security.Cryptography;
using System.Text;

namespace CommsGateway.Core.Privacy;

/// <summary>
/// How suppressions remember an address without keeping it: HMAC-SHA256 of the normalised address under a secret key.
/// An unkeyed hash of a phone number (about 10^9 candidates per country) or a guessable email is reversed by brute
/// force, so it would still hold an erased patient's address; without the key the table reveals nothing.
/// </summary>
public sealed class AddressHasher
{
    public const int MinimumKeyBytes = 32;

    private readonly byte[] _key;

    public AddressHasher(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinimumKeyBytes)
        {
            throw new ArgumentException($"the address hash key must be at least {MinimumKeyBytes} bytes", nameof(key));
        }

        _key = key.ToArray();
    }

    /// <summary>The key, for the SQL that hashes addresses it reads in the same statement (pgcrypto's hmac). Never log it.</summary>
    public byte[] Key => (byte[])_key.Clone();

    /// <summary>HMAC-SHA256(key, UTF-8 of the normalised address).</summary>
    public byte[] Hash(string normalizedAddress)
    {
        ArgumentNullException.ThrowIfNull(normalizedAddress);
        return HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(normalizedAddress));
    }

    /// <summary>No key material in logs or debugger displays.</summary>
    public override string ToString() => nameof(AddressHasher);
}

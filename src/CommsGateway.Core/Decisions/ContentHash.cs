using System.Security.Cryptography;
using System.Text;
using CommsGateway.Contracts;

namespace CommsGateway.Core.Decisions;

/// <summary>
/// The decision log keeps a SHA-256 of what was asked, never the body itself (data minimisation):
/// enough to prove which content a decision was about when the producer shows its copy.
/// </summary>
public static class ContentHash
{
    public static byte[] Compute(MessageIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, intent.Subject);
        Append(hash, intent.Body);
        Append(hash, intent.Html);
        if (intent.Blocks is not null)
        {
            foreach (var block in intent.Blocks)
            {
                Append(hash, block?.Kind.ToString());
                Append(hash, block?.Text);
                Append(hash, block?.Html);
            }
        }

        return hash.GetHashAndReset();
    }

    private static void Append(IncrementalHash hash, string? value)
    {
        // Length-prefixed so ("ab","c") and ("a","bc") hash differently.
        var bytes = Encoding.UTF8.GetBytes(value ?? "");
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, value is null ? -1 : bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}

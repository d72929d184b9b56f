using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CommsGateway.Core.Audit;

/// <summary>
/// Tamper evidence for append-only logs (GDPR art. 5(2) accountability): each row's hash covers a canonical
/// encoding of the row and the previous row's hash in the same chain (one chain per tenant), so editing,
/// deleting or reordering a row breaks every later link. Generic over named fields: the decision log and the
/// consent ledger each list their own fields in a fixed order.
/// <para>Canonical encoding, version 1 (all integers big-endian):</para>
/// <code>
/// "cgw-chain" (9 ASCII bytes) | version (1 byte = 1) | previous hash (32 bytes; 32 zero bytes for the first row)
/// | field count (u16) | fields in the caller's fixed order, each:
///     name length (u16) | name (UTF-8) | tag (1 byte) | value
///     tag 0 null: no value        tag 1 text: length (u32) | UTF-8
///     tag 2 int64: 8 bytes         tag 3 bytes: length (u32) | raw bytes
///     tag 4 timestamp: int64 microseconds since 1970-01-01 UTC (PostgreSQL's precision; sub-microsecond truncated)
///     tag 5 text array: count (u32) | each element as (length (u32) | UTF-8)
///     tag 6 uuid: 16 bytes, RFC 9562 byte order
/// row hash = SHA-256(encoding)
/// </code>
/// A new version adds a new prefix byte; rows keep the version they were written with.
/// </summary>
public static class ChainHash
{
    public const byte Version = 1;
    public const int HashLength = 32;
    private static readonly byte[] Domain = "cgw-chain"u8.ToArray();

    /// <summary>The previous hash of a chain's first row.</summary>
    public static ReadOnlySpan<byte> Genesis => new byte[HashLength];

    public static byte[] Compute(ReadOnlySpan<byte> previousHash, CanonicalFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var buffer = new ArrayBufferWriter<byte>(256);
        Encode(previousHash, fields, buffer);
        return SHA256.HashData(buffer.WrittenSpan);
    }

    /// <summary>The exact bytes that are hashed (for documentation, tests and independent verifiers).</summary>
    public static void Encode(ReadOnlySpan<byte> previousHash, CanonicalFields fields, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(output);
        if (previousHash.Length != HashLength)
        {
            throw new ArgumentException($"previous hash must be {HashLength} bytes", nameof(previousHash));
        }

        output.Write(Domain);
        output.Write([Version]);
        output.Write(previousHash);
        WriteUInt16(output, checked((ushort)fields.Count));
        fields.WriteTo(output);
    }

    internal static void WriteUInt16(IBufferWriter<byte> output, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(output.GetSpan(2), value);
        output.Advance(2);
    }

    internal static void WriteUInt32(IBufferWriter<byte> output, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    internal static void WriteInt64(IBufferWriter<byte> output, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    internal static void WriteText(IBufferWriter<byte> output, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteUInt32(output, (uint)length);
        var span = output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        output.Advance(length);
    }
}

/// <summary>An ordered list of named, typed field values: the row as the chain sees it.</summary>
public sealed class CanonicalFields
{
    private readonly ArrayBufferWriter<byte> _bytes = new(256);

    public int Count { get; private set; }

    public CanonicalFields Text(string name, string? value) => value is null ? Null(name) : Field(name, 1, o => ChainHash.WriteText(o, value));

    public CanonicalFields Int64(string name, long? value) => value is { } v ? Field(name, 2, o => ChainHash.WriteInt64(o, v)) : Null(name);

    public CanonicalFields Bytes(string name, ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull)
        {
            return Null(name);
        }

        Header(name, 3);
        ChainHash.WriteUInt32(_bytes, (uint)value.Length);
        _bytes.Write(value);
        return this;
    }

    public CanonicalFields Bytes(string name, byte[]? value) => value is null ? Null(name) : Bytes(name, value.AsSpan());

    public CanonicalFields Timestamp(string name, DateTimeOffset? value) =>
        value is { } v ? Field(name, 4, o => ChainHash.WriteInt64(o, (v.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10)) : Null(name);

    public CanonicalFields TextArray(string name, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            return Null(name);
        }

        return Field(name, 5, o =>
        {
            ChainHash.WriteUInt32(o, (uint)values.Count);
            foreach (var value in values)
            {
                ChainHash.WriteText(o, value);
            }
        });
    }

    public CanonicalFields Uuid(string name, Guid value)
    {
        Header(name, 6);
        value.TryWriteBytes(_bytes.GetSpan(16), bigEndian: true, out _);
        _bytes.Advance(16);
        return this;
    }

    public CanonicalFields Null(string name)
    {
        Header(name, 0);
        return this;
    }

    internal void WriteTo(IBufferWriter<byte> output) => output.Write(_bytes.WrittenSpan);

    private CanonicalFields Field(string name, byte tag, Action<IBufferWriter<byte>> value)
    {
        Header(name, tag);
        value(_bytes);
        return this;
    }

    private void Header(string name, byte tag)
    {
        var length = System.Text.Encoding.UTF8.GetByteCount(name);
        ChainHash.WriteUInt16(_bytes, checked((ushort)length));
        System.Text.Encoding.UTF8.GetBytes(name, _bytes.GetSpan(length));
        _bytes.Advance(length);
        _bytes.Write([tag]);
        Count++;
    }
}

namespace CommsGateway.Core.Audit;

/// <summary>
/// One link of a chain as stored: its two hashes and the canonical content its hash must cover. A tombstone (a row
/// retention removed, whose hashes were kept) has no content: it still carries the chain across the gap.
/// </summary>
public sealed record StoredLink(byte[]? PrevHash, byte[]? RowHash, CanonicalFields? Content);

/// <summary>Why a link does not hold.</summary>
public enum ChainFault
{
    /// <summary>The row has no hash: it was written around the chain.</summary>
    Unhashed,

    /// <summary>Its prev_hash is not the previous link's hash: a row was removed, inserted or reordered before it.</summary>
    BrokenLink,

    /// <summary>Its content no longer matches its hash: the row was altered.</summary>
    Altered,
}

/// <summary>
/// The one verifier of every hash chain (the decision log, the consent ledger, the console's access log): fed a
/// tenant's links in chain order, it re-computes each hash with <see cref="ChainHash"/> from the previous link's hash,
/// and finally compares the chain's end with the tenant's recorded head, so removing the newest rows is caught too.
/// Pure: the callers read the rows (one consistent snapshot) and word the report.
/// </summary>
public sealed class ChainVerifier
{
    private byte[] _tip;

    /// <param name="start">The genesis hash, or the anchor retention recorded when it removed the oldest rows.</param>
    public ChainVerifier(ReadOnlySpan<byte> start)
    {
        if (start.Length != ChainHash.HashLength)
        {
            throw new ArgumentException($"a chain starts from a {ChainHash.HashLength}-byte hash", nameof(start));
        }

        _tip = start.ToArray();
    }

    /// <summary>A chain from the genesis hash.</summary>
    public static ChainVerifier FromGenesis() => new(ChainHash.Genesis);

    /// <summary>Links that held so far.</summary>
    public long Links { get; private set; }

    /// <summary>The hash the next link must point at (the last link's hash; the start before any).</summary>
    public ReadOnlySpan<byte> Tip => _tip;

    /// <summary>Checks the next link; on success it becomes the tip. Returns what is wrong, or null.</summary>
    public ChainFault? Next(StoredLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (link.PrevHash is null || link.RowHash is null)
        {
            return ChainFault.Unhashed;
        }

        if (!link.PrevHash.AsSpan().SequenceEqual(_tip))
        {
            return ChainFault.BrokenLink;
        }

        if (link.Content is { } content && !ChainHash.Compute(_tip, content).AsSpan().SequenceEqual(link.RowHash))
        {
            return ChainFault.Altered;
        }

        _tip = link.RowHash;
        Links++;
        return null;
    }

    /// <summary>A fault in words, for the report; <paramref name="item"/> names a link ("row", "event", "entry").</summary>
    public static string Describe(ChainFault fault, string item) => fault switch
    {
        ChainFault.Unhashed => $"{item} has no hash (written around the chain)",
        ChainFault.BrokenLink => $"prev_hash does not match the previous {item}'s hash (a {item} was removed, inserted or reordered before it)",
        ChainFault.Altered => $"{item} content does not match its hash (the {item} was altered)",
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
    };

    /// <summary>Whether the chain ends at the recorded head (no head: only an empty chain ends there).</summary>
    public bool EndsAt(byte[]? headHash) => headHash is null ? Links == 0 : headHash.AsSpan().SequenceEqual(_tip);
}

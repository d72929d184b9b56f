using System.Buffers;
using System.Runtime.CompilerServices;

namespace CommsGateway.Core.Classification.Model;

/// <summary>Receives the hashed features of one sentence at a time.</summary>
internal interface IFeatureSink
{
    void Add(int bucket);
}

/// <summary>
/// Turns text as the patient sees it into hashed features, sentence by sentence, without allocating:
/// the sentence is folded by <see cref="TextNormalizer"/> (lower case, accents stripped, every number one '0',
/// '%', '€' and '£' kept as tokens), then yields word unigrams, word bigrams (never across a sentence end) and
/// character 3–5-grams of each word with its boundaries ("&lt;offre&gt;"). Each occurrence counts: a message's
/// sum is the sum of its sentences' sums, so one pass gives both the whole-message and the per-sentence scores.
/// Hashing is FNV-1a with a fixed seed per kind, then a 32-bit finaliser, keeping the top bits.
/// </summary>
internal static class Featurizer
{
    private const uint Prime = 16777619;
    private const uint WordSeed = 2166136261;
    private const uint BigramSeed = 0x9E3779B9;
    private const uint CharSeed = 0x85EBCA6B;
    private const int StackChars = 1024;

    /// <summary>Folds <paramref name="sentence"/> and sends its features to <paramref name="sink"/>; returns how many were sent.</summary>
    public static int Visit<TSink>(ReadOnlySpan<char> sentence, int bits, ref TSink sink)
        where TSink : struct, IFeatureSink
    {
        var capacity = TextNormalizer.MaxLength(sentence.Length);
        char[]? rented = null;
        Span<char> buffer = capacity <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(capacity));
        try
        {
            var n = TextNormalizer.Normalize(sentence, buffer);
            return VisitFolded(buffer[..n], bits, ref sink);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The features of already folded text (tests and the explanation use it to name the n-grams). One loop with the
    /// sink in a local: the sum a <see cref="IFeatureSink"/> keeps stays in a register instead of memory.
    /// </summary>
    public static int VisitFolded<TSink>(ReadOnlySpan<char> folded, int bits, ref TSink sink)
        where TSink : struct, IFeatureSink
    {
        var local = sink;
        var shift = 32 - bits;
        var count = 0;
        var previous = 0u;
        var havePrevious = false;
        var i = 0;
        while (i < folded.Length)
        {
            var c = folded[i];
            var start = i;
            uint hash;
            if (IsSymbol(c))
            {
                hash = (WordSeed ^ c) * Prime;
                i++;
            }
            else if (TextNormalizer.IsWord(c))
            {
                hash = WordSeed;
                do
                {
                    hash = (hash ^ folded[i]) * Prime;
                    i++;
                }
                while (i < folded.Length && TextNormalizer.IsWord(folded[i]));
            }
            else
            {
                i++;
                continue;
            }

            local.Add(Bucket(hash, shift));
            count++;

            // Word bigrams, never across a sentence end.
            if (havePrevious)
            {
                local.Add(Bucket(BigramHash(previous, hash), shift));
                count++;
            }

            previous = hash;
            havePrevious = true;
            if (IsSymbol(c))
            {
                continue;
            }

            // 3-, 4- and 5-grams of "<word>": they carry stems, inflections and misspellings the words miss. The window
            // slides one character at a time; each start hashes its 3-gram and extends it to the 4- and 5-gram.
            var word = folded[start..i];
            var padded = word.Length + 2;
            var a = '<';
            var b = word[0];
            var d = word.Length > 1 ? word[1] : '>';
            for (var at = 0; at + 3 <= padded; at++)
            {
                var gram = (((((CharSeed ^ a) * Prime) ^ b) * Prime) ^ d) * Prime;
                local.Add(Bucket(gram, shift));
                count++;
                var third = at + 3 < padded ? Padded(word, at + 3) : '\0';
                if (at + 3 < padded)
                {
                    gram = (gram ^ third) * Prime;
                    local.Add(Bucket(gram, shift));
                    count++;
                    if (at + 4 < padded)
                    {
                        gram = (gram ^ Padded(word, at + 4)) * Prime;
                        local.Add(Bucket(gram, shift));
                        count++;
                    }
                }

                a = b;
                b = d;
                d = third;
            }
        }

        sink = local;
        return count;
    }

    /// <summary>Character <paramref name="j"/> of "&lt;word&gt;".</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static char Padded(ReadOnlySpan<char> word, int j) => j <= word.Length ? word[j - 1] : '>';

    /// <summary>'%', '€', '£' and '$' carry meaning in offers and receipts alike: each is a token of its own.</summary>
    public static bool IsSymbol(char c) => c is '%' or '€' or '£' or '$';

    /// <summary>Where a word, bigram or n-gram lands (the explanation recomputes it from the readable text).</summary>
    public static int BucketOf(uint hash, int bits) => (int)(Mix(hash) >> (32 - bits));

    public static uint WordHash(ReadOnlySpan<char> word)
    {
        var hash = WordSeed;
        foreach (var w in word)
        {
            hash = (hash ^ w) * Prime;
        }

        return hash;
    }

    /// <summary>The bucket of a keyword rule that fired (the rules are features too: the model learns how far to trust each).</summary>
    public static int RuleBucket(int kind, int bits) => BucketOf(0x52554C45u ^ ((uint)(kind + 1) * 0x9E3779B1), bits);

    public static uint BigramHash(uint first, uint second) => ((BigramSeed ^ first) * Prime) ^ (second * 0xC2B2AE35);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Bucket(uint hash, int shift) => (int)(Mix(hash) >> shift);

    /// <summary>The murmur3 finaliser: FNV's low bits are weak, the top bits of the mix are not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }
}

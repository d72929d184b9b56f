using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CommsGateway.Core.Classification;

/// <summary>One keyword of a lexicon, already normalised. A stem ("parrain*") matches any word it starts.</summary>
internal readonly record struct Keyword(string Text, bool Stem, int Payload);

/// <summary>A keyword found in normalised text: [Start, End) in that text.</summary>
internal readonly record struct KeywordMatch(int Keyword, int Start, int End);

/// <summary>
/// Aho–Corasick automaton compiled to a dense transition table over the normaliser's small alphabet:
/// one table read per character, every keyword found in a single pass, nothing allocated while scanning.
/// Keywords match whole words: a keyword that starts (ends) with a letter or digit needs a non-word
/// character before (after) it, unless it is a stem.
/// </summary>
internal sealed class KeywordAutomaton
{
    private const int Lanes = 4;
    private const int Other = 0;
    private const int StateMask = 0x7FFF;
    private const ushort ReportFlag = 0x8000;
    private static readonly byte[] CharClass = BuildCharClasses(out AlphabetSize);
    private static readonly int AlphabetSize;

    private readonly ushort[] transitions;
    private readonly int[] output;
    private readonly int[] dictionaryLink;

    /// <summary>Per state: the state whose keyword to report first (itself or its dictionary link), or -1.</summary>
    private readonly int[] report;

    public KeywordAutomaton(IReadOnlyList<Keyword> keywords)
    {
        ArgumentNullException.ThrowIfNull(keywords);
        Keywords = [.. keywords];
        var children = new List<int[]> { NewRow() };
        var outputs = new List<int> { -1 };
        var duplicates = new List<string>();
        for (var k = 0; k < Keywords.Length; k++)
        {
            var state = 0;
            foreach (var c in Keywords[k].Text)
            {
                var cls = ClassOf(c);
                if (children[state][cls] <= 0)
                {
                    children[state][cls] = children.Count;
                    children.Add(NewRow());
                    outputs.Add(-1);
                }

                state = children[state][cls];
            }

            if (outputs[state] >= 0)
            {
                duplicates.Add(Keywords[k].Text);
            }
            else
            {
                outputs[state] = k;
            }
        }

        Duplicates = duplicates;

        // Number the states breadth-first: the shallow states, where a scan spends nearly all its time,
        // then sit together at the start of the table and stay in cache.
        var count = children.Count;
        if (count > StateMask)
        {
            throw new InvalidOperationException($"Lexicon too large for a 15-bit automaton ({count} states)");
        }

        var order = new List<int>(count) { 0 };
        for (var i = 0; i < order.Count; i++)
        {
            foreach (var child in children[order[i]])
            {
                if (child > 0)
                {
                    order.Add(child);
                }
            }
        }

        var rank = new int[count];
        for (var i = 0; i < count; i++)
        {
            rank[order[i]] = i;
        }

        var goTo = new int[count * AlphabetSize];
        output = new int[count];
        for (var old = 0; old < count; old++)
        {
            output[rank[old]] = outputs[old];
            for (var cls = 0; cls < AlphabetSize; cls++)
            {
                var child = children[old][cls];
                goTo[(rank[old] * AlphabetSize) + cls] = child > 0 ? rank[child] : 0;
            }
        }

        // Complete the goto function into a DFA (failure links folded in) and link each state to the
        // longest proper suffix that is also a keyword, so overlapping keywords all report. States are
        // already in breadth-first order, so a plain loop visits each state after its failure state.
        transitions = new ushort[count * AlphabetSize];
        dictionaryLink = new int[count];
        report = new int[count];
        var failure = new int[count];
        Array.Fill(dictionaryLink, -1);
        for (var state = 0; state < count; state++)
        {
            var fail = failure[state];
            if (state > 0)
            {
                dictionaryLink[state] = output[fail] >= 0 ? fail : dictionaryLink[fail];
            }

            report[state] = output[state] >= 0 ? state : dictionaryLink[state];
            for (var cls = 0; cls < AlphabetSize; cls++)
            {
                var child = goTo[(state * AlphabetSize) + cls];
                if (child > 0)
                {
                    failure[child] = state == 0 ? 0 : transitions[(fail * AlphabetSize) + cls];
                    transitions[(state * AlphabetSize) + cls] = (ushort)child;
                }
                else
                {
                    transitions[(state * AlphabetSize) + cls] = state == 0 ? (ushort)0 : transitions[(fail * AlphabetSize) + cls];
                }
            }
        }

        // Flag the transitions that land on a state with something to report, so the scan reads
        // one table entry per character and nothing else on the common path.
        for (var i = 0; i < transitions.Length; i++)
        {
            if (report[transitions[i]] >= 0)
            {
                transitions[i] |= ReportFlag;
            }
        }

        StateCount = count;
        MaxKeywordLength = Keywords.Length == 0 ? 0 : Keywords.Max(k => k.Text.Length);
    }

    public Keyword[] Keywords { get; }

    /// <summary>Keywords listed twice (after normalisation); only the first one counts. Tests keep this empty.</summary>
    public IReadOnlyList<string> Duplicates { get; }

    public int StateCount { get; }

    /// <summary>The longest keyword: how far back a lane starts so that its state is exact where it starts reporting.</summary>
    public int MaxKeywordLength { get; }

    /// <summary>
    /// Finds every whole-word keyword in normalised text, in order of where they end; returns how many matches
    /// were written. Long texts are cut into <see cref="Lanes"/> slices scanned in one interleaved loop: each
    /// table read waits on the previous one of its own slice only, so the CPU overlaps four cache misses
    /// instead of waiting for each. A slice starts <see cref="MaxKeywordLength"/> characters early, unreported,
    /// so its state is exact (an automaton's state depends on no more than that many characters) from the
    /// first position it reports. Each slice fills at most a quarter of <paramref name="matches"/>; extra
    /// matches are dropped.
    /// </summary>
    public int Scan(ReadOnlySpan<char> text, Span<KeywordMatch> matches)
    {
        var overlap = MaxKeywordLength;
        var slice = (text.Length - overlap) / Lanes;
        if (slice < overlap || matches.Length < Lanes)
        {
            return ScanFrom(text, 0, 0, matches, 0);
        }

        var quota = matches.Length / Lanes;
        var m0 = matches[..quota];
        var m1 = matches.Slice(quota, quota);
        var m2 = matches.Slice(2 * quota, quota);
        var m3 = matches.Slice(3 * quota, quota);
        int f0 = 0, f1 = 0, f2 = 0, f3 = 0;
        int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int p1 = slice, p2 = 2 * slice, p3 = 3 * slice;
        var steps = slice + overlap;
        ref var table = ref MemoryMarshal.GetArrayDataReference(transitions);
        var width = AlphabetSize;
        for (var t = 0; t < steps; t++)
        {
            int n0 = Step(ref table, width, s0, text[t]);
            int n1 = Step(ref table, width, s1, text[p1 + t]);
            int n2 = Step(ref table, width, s2, text[p2 + t]);
            int n3 = Step(ref table, width, s3, text[p3 + t]);
            s0 = n0 & StateMask;
            s1 = n1 & StateMask;
            s2 = n2 & StateMask;
            s3 = n3 & StateMask;
            if ((n0 | n1 | n2 | n3) < ReportFlag)
            {
                continue;
            }

            if (n0 >= ReportFlag)
            {
                f0 = Report(text, s0, t, m0, f0);
            }

            if (t < overlap)
            {
                continue; // lanes 1-3 are still warming up on their predecessor's last characters
            }

            if (n1 >= ReportFlag)
            {
                f1 = Report(text, s1, p1 + t, m1, f1);
            }

            if (n2 >= ReportFlag)
            {
                f2 = Report(text, s2, p2 + t, m2, f2);
            }

            if (n3 >= ReportFlag)
            {
                f3 = Report(text, s3, p3 + t, m3, f3);
            }
        }

        // The last lane also takes the few characters the even split left over.
        f3 = ScanFrom(text, p3 + steps, s3, m3, f3);

        // Lanes end in text order: pack their matches together (CopyTo is overlap-safe).
        var found = f0;
        m1[..f1].CopyTo(matches[found..]);
        found += f1;
        m2[..f2].CopyTo(matches[found..]);
        found += f2;
        m3[..f3].CopyTo(matches[found..]);
        return found + f3;
    }

    /// <summary>
    /// <see cref="Scan"/> of three texts at once, each into its own matches (the few best sentences of a message): the
    /// texts short enough for Scan to read in one lane are read in one loop, one step of each per character, so the
    /// three table reads overlap; a longer text is left to Scan. The counts are what Scan would return for each.
    /// </summary>
    public void ScanThree(
        ReadOnlySpan<char> t0, ReadOnlySpan<char> t1, ReadOnlySpan<char> t2,
        Span<KeywordMatch> m0, Span<KeywordMatch> m1, Span<KeywordMatch> m2, out int f0, out int f1, out int f2)
    {
        if (!IsOneLane(t0, m0) || !IsOneLane(t1, m1) || !IsOneLane(t2, m2))
        {
            f0 = Scan(t0, m0);
            f1 = Scan(t1, m1);
            f2 = Scan(t2, m2);
            return;
        }

        f0 = f1 = f2 = 0;
        int s0 = 0, s1 = 0, s2 = 0;
        var common = Math.Min(t0.Length, Math.Min(t1.Length, t2.Length));
        ref var table = ref MemoryMarshal.GetArrayDataReference(transitions);
        var width = AlphabetSize;
        for (var i = 0; i < common; i++)
        {
            int n0 = Step(ref table, width, s0, t0[i]);
            int n1 = Step(ref table, width, s1, t1[i]);
            int n2 = Step(ref table, width, s2, t2[i]);
            s0 = n0 & StateMask;
            s1 = n1 & StateMask;
            s2 = n2 & StateMask;
            if ((n0 | n1 | n2) < ReportFlag)
            {
                continue;
            }

            if (n0 >= ReportFlag)
            {
                f0 = Report(t0, s0, i, m0, f0);
            }

            if (n1 >= ReportFlag)
            {
                f1 = Report(t1, s1, i, m1, f1);
            }

            if (n2 >= ReportFlag)
            {
                f2 = Report(t2, s2, i, m2, f2);
            }
        }

        f0 = ScanFrom(t0, common, s0, m0, f0);
        f1 = ScanFrom(t1, common, s1, m1, f1);
        f2 = ScanFrom(t2, common, s2, m2, f2);
    }

    /// <summary>Whether <see cref="Scan"/> reads the text in one lane (<see cref="ScanFrom"/> from the start).</summary>
    private bool IsOneLane(ReadOnlySpan<char> text, Span<KeywordMatch> matches) =>
        (text.Length - MaxKeywordLength) / Lanes < MaxKeywordLength || matches.Length < Lanes;

    /// <summary>One lane from <paramref name="from"/> to the end of the text, starting in <paramref name="state"/>.</summary>
    private int ScanFrom(ReadOnlySpan<char> text, int from, int state, Span<KeywordMatch> matches, int found)
    {
        ref var table = ref MemoryMarshal.GetArrayDataReference(transitions);
        var width = AlphabetSize;
        for (var i = from; i < text.Length; i++)
        {
            var next = Step(ref table, width, state, text[i]);
            state = next & StateMask;
            if (next >= ReportFlag)
            {
                found = Report(text, state, i, matches, found);
            }
        }

        return found;
    }

    /// <summary>Writes the whole-word keywords that end at <paramref name="i"/> in <paramref name="state"/>; returns the new count.</summary>
    private int Report(ReadOnlySpan<char> text, int state, int i, Span<KeywordMatch> matches, int found)
    {
        for (var hit = report[state]; hit >= 0; hit = dictionaryLink[hit])
        {
            var keyword = Keywords[output[hit]];
            var end = i + 1;
            var start = end - keyword.Text.Length;
            if (found < matches.Length && IsWholeWord(text, keyword, start, end))
            {
                matches[found++] = new KeywordMatch(output[hit], start, end);
            }
        }

        return found;
    }

    /// <summary>
    /// One transition: the next state, with <see cref="ReportFlag"/> set when it has something to report. The index
    /// is in range by construction: state &lt; StateCount and the character's class &lt; AlphabetSize.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref ushort table, int width, int state, char c)
    {
        var cls = c < 128 ? Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(CharClass), c) : ClassOf(c);
        return Unsafe.Add(ref table, (state * width) + cls);
    }

    private static bool IsWholeWord(ReadOnlySpan<char> text, in Keyword keyword, int start, int end)
    {
        var first = keyword.Text[0];
        if ((TextNormalizer.IsWord(first) || first == '-') && start > 0 && TextNormalizer.IsWord(text[start - 1]))
        {
            return false;
        }

        return keyword.Stem || !TextNormalizer.IsWord(keyword.Text[^1]) || end == text.Length || !TextNormalizer.IsWord(text[end]);
    }

    private static int ClassOf(char c) => c < 128 ? CharClass[c] : c switch
    {
        '€' => CharClass['$'] + 1,
        '£' => CharClass['$'] + 2,
        _ => Other,
    };

    private static int[] NewRow() => new int[AlphabetSize];

    private static byte[] BuildCharClasses(out int size)
    {
        var classes = new byte[128];
        byte next = 1;
        for (var c = 'a'; c <= 'z'; c++)
        {
            classes[c] = next++;
        }

        foreach (var c in "0 \n%'-:/.!?_=&+#@(),\"*")
        {
            classes[c] = next++;
        }

        classes['$'] = next;
        size = next + 3; // '$', '€', '£'
        return classes;
    }
}

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
    }

    public Keyword[] Keywords { get; }

    /// <summary>Keywords listed twice (after normalisation); only the first one counts. Tests keep this empty.</summary>
    public IReadOnlyList<string> Duplicates { get; }

    public int StateCount { get; }

    /// <summary>Finds every whole-word keyword in normalised text; returns how many matches were written (extra ones are dropped).</summary>
    public int Scan(ReadOnlySpan<char> text, Span<KeywordMatch> matches)
    {
        var found = 0;
        var state = 0;
        ref var table = ref MemoryMarshal.GetArrayDataReference(transitions);
        ref var classes = ref MemoryMarshal.GetArrayDataReference(CharClass);
        var width = AlphabetSize;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            int cls = c < 128 ? Unsafe.Add(ref classes, c) : ClassOf(c);

            // The index is in range by construction: state < StateCount and cls < AlphabetSize.
            int next = Unsafe.Add(ref table, (state * width) + cls);
            state = next & StateMask;
            if (next < ReportFlag)
            {
                continue;
            }

            for (var hit = report[state]; hit >= 0; hit = dictionaryLink[hit])
            {
                var keyword = Keywords[output[hit]];
                var end = i + 1;
                var start = end - keyword.Text.Length;
                if (IsWholeWord(text, keyword, start, end))
                {
                    if (found == matches.Length)
                    {
                        return found;
                    }

                    matches[found++] = new KeywordMatch(output[hit], start, end);
                }
            }
        }

        return found;
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

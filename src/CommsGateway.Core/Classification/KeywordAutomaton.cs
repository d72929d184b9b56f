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
    private static readonly byte[] CharClass = BuildCharClasses(out AlphabetSize);
    private static readonly int AlphabetSize;

    private readonly int[] transitions;
    private readonly int[] output;
    private readonly int[] dictionaryLink;

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
        var count = children.Count;
        transitions = new int[count * AlphabetSize];
        output = [.. outputs];
        dictionaryLink = new int[count];
        var failure = new int[count];
        Array.Fill(dictionaryLink, -1);

        // Breadth-first: complete the goto function into a DFA and link each state to the longest
        // proper suffix that is also a keyword (dictionary link), so overlapping keywords all report.
        var queue = new Queue<int>();
        for (var cls = 0; cls < AlphabetSize; cls++)
        {
            var child = children[0][cls];
            transitions[cls] = child > 0 ? child : 0;
            if (child > 0)
            {
                queue.Enqueue(child);
            }
        }

        while (queue.Count > 0)
        {
            var state = queue.Dequeue();
            var fail = failure[state];
            dictionaryLink[state] = output[fail] >= 0 ? fail : dictionaryLink[fail];
            for (var cls = 0; cls < AlphabetSize; cls++)
            {
                var child = children[state][cls];
                if (child > 0)
                {
                    failure[child] = transitions[(fail * AlphabetSize) + cls];
                    transitions[(state * AlphabetSize) + cls] = child;
                    queue.Enqueue(child);
                }
                else
                {
                    transitions[(state * AlphabetSize) + cls] = transitions[(fail * AlphabetSize) + cls];
                }
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
        var table = transitions;
        for (var i = 0; i < text.Length; i++)
        {
            state = table[(state * AlphabetSize) + ClassOf(text[i])];
            var hit = output[state] >= 0 ? state : dictionaryLink[state];
            while (hit >= 0)
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

                hit = dictionaryLink[hit];
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

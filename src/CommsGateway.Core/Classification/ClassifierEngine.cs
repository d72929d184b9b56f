using System.Buffers;

namespace CommsGateway.Core.Classification;

/// <summary>Where a signal was found.</summary>
internal enum TextPart : byte
{
    Subject,
    Body,
    Html,
}

/// <summary>The first keyword that fired a signal, and where (Keyword is -1 when the signal did not fire).</summary>
internal readonly record struct Evidence(int Keyword, TextPart Part);

/// <summary>The allocation-free verdict on one text: the score and the set of marketing signals that fired.</summary>
internal readonly record struct TextScore(double Score, ulong Fired)
{
    public bool IsMarketing => Score >= Signals.MarketingThreshold;

    public bool Has(SignalKind kind) => (Fired & Signals.Bit(kind)) != 0;
}

/// <summary>
/// The hot path: reveal subject, body and HTML as the patient sees them, normalise them into one pooled buffer, find every keyword in one
/// automaton pass, then weigh the signals sentence by sentence with their guards. Each signal counts once
/// per message, however often it repeats: repetition is not evidence. Nothing is allocated per call.
/// </summary>
internal sealed class ClassifierEngine
{
    private const int MaxMatches = 192;
    private const int MaxSentences = 128;

    private readonly KeywordAutomaton automaton;
    private readonly SignalKind[] kindOfKeyword;

    public ClassifierEngine()
    {
        var keywords = new List<Keyword>();
        foreach (var (kind, words) in Lexicon.Marketing.Concat(Lexicon.Contexts))
        {
            foreach (var word in words)
            {
                var stem = word.EndsWith('*');
                keywords.Add(new Keyword(TextNormalizer.Normalize(stem ? word[..^1] : word), stem, (int)kind));
            }
        }

        automaton = new KeywordAutomaton(keywords);
        kindOfKeyword = [.. keywords.Select(k => (SignalKind)k.Payload)];
    }

    public static ClassifierEngine Shared { get; } = new();

    public KeywordAutomaton Automaton => automaton;

    /// <param name="evidence">Empty, or <see cref="Signals.KindCount"/> slots filled with the first keyword of each fired signal.</param>
    public TextScore Score(ReadOnlySpan<char> subject, ReadOnlySpan<char> body, ReadOnlySpan<char> html, Span<Evidence> evidence)
    {
        // The rules read the text as the patient sees it (PatientText), then fold it for the automaton.
        var revealed = ArrayPool<char>.Shared.Rent(PatientText.MaxLength(Math.Max(subject.Length, Math.Max(body.Length, html.Length))));
        var capacity = TextNormalizer.MaxLength(PatientText.MaxLength(subject.Length)) + TextNormalizer.MaxLength(PatientText.MaxLength(body.Length))
            + TextNormalizer.MaxLength(PatientText.MaxLength(html.Length)) + 3;
        var rented = ArrayPool<char>.Shared.Rent(capacity);
        try
        {
            Span<char> buffer = rented;
            var n = Fold(subject, isHtml: false, revealed, buffer);
            buffer[n++] = TextNormalizer.Break;
            var subjectEnd = n;
            n += Fold(body, isHtml: false, revealed, buffer[n..]);
            buffer[n++] = TextNormalizer.Break;
            var bodyEnd = n;
            n += Fold(html, isHtml: true, revealed, buffer[n..]);
            var text = buffer[..n];

            Span<KeywordMatch> matches = stackalloc KeywordMatch[MaxMatches];
            var count = automaton.Scan(text, matches);
            return Evaluate(text, matches[..count], subjectEnd, bodyEnd, evidence, CampaignLinkIn(html));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
            ArrayPool<char>.Shared.Return(revealed);
        }
    }

    /// <summary>
    /// The rules on text already revealed by <see cref="PatientText"/> (the model reveals once and scores each sentence):
    /// no second reveal; campaign links are looked for by the caller in the raw HTML.
    /// </summary>
    internal TextScore ScoreRevealed(ReadOnlySpan<char> subject, ReadOnlySpan<char> body, ReadOnlySpan<char> html, bool campaignLinkInMarkup) =>
        ScoreRevealed(subject, body, html, campaignLinkInMarkup, []);

    /// <param name="evidence">Empty, or <see cref="Signals.KindCount"/> slots filled with the first keyword of each fired signal.</param>
    internal TextScore ScoreRevealed(ReadOnlySpan<char> subject, ReadOnlySpan<char> body, ReadOnlySpan<char> html, bool campaignLinkInMarkup, Span<Evidence> evidence)
    {
        var rented = ArrayPool<char>.Shared.Rent(TextNormalizer.MaxLength(subject.Length) + TextNormalizer.MaxLength(body.Length) + TextNormalizer.MaxLength(html.Length) + 3);
        try
        {
            Span<char> buffer = rented;
            var n = TextNormalizer.Normalize(subject, buffer);
            buffer[n++] = TextNormalizer.Break;
            var subjectEnd = n;
            n += TextNormalizer.Normalize(body, buffer[n..]);
            buffer[n++] = TextNormalizer.Break;
            var bodyEnd = n;
            n += TextNormalizer.Normalize(html, buffer[n..]);
            var text = buffer[..n];

            Span<KeywordMatch> matches = stackalloc KeywordMatch[MaxMatches];
            var count = automaton.Scan(text, matches);
            return Evaluate(text, matches[..count], subjectEnd, bodyEnd, evidence, campaignLinkInMarkup);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The rules on one sentence already folded, between segment breaks ("\n" + folded + "\n"): exactly what
    /// <see cref="ScoreRevealed"/> reads for that sentence alone as the body.
    /// </summary>
    internal TextScore ScoreFoldedSentence(ReadOnlySpan<char> text)
    {
        Span<KeywordMatch> matches = stackalloc KeywordMatch[MaxMatches];
        var count = automaton.Scan(text, matches);
        return Evaluate(text, matches[..count], 1, text.Length, [], campaignLinkInMarkup: false);
    }

    /// <summary><see cref="ScoreFoldedSentence"/> of three sentences, scanned together.</summary>
    internal (TextScore First, TextScore Second, TextScore Third) ScoreFoldedSentences(ReadOnlySpan<char> first, ReadOnlySpan<char> second, ReadOnlySpan<char> third)
    {
        Span<KeywordMatch> m0 = stackalloc KeywordMatch[MaxMatches];
        Span<KeywordMatch> m1 = stackalloc KeywordMatch[MaxMatches];
        Span<KeywordMatch> m2 = stackalloc KeywordMatch[MaxMatches];
        automaton.ScanThree(first, second, third, m0, m1, m2, out var f0, out var f1, out var f2);
        return (
            Evaluate(first, m0[..f0], 1, first.Length, [], campaignLinkInMarkup: false),
            Evaluate(second, m1[..f1], 1, second.Length, [], campaignLinkInMarkup: false),
            Evaluate(third, m2[..f2], 1, third.Length, [], campaignLinkInMarkup: false));
    }

    private static int Fold(ReadOnlySpan<char> text, bool isHtml, Span<char> scratch, Span<char> destination)
    {
        var length = PatientText.Reveal(text, isHtml, scratch);
        return TextNormalizer.Normalize(scratch[..length], destination);
    }

    public SignalKind KindOf(int keyword) => kindOfKeyword[keyword];

    private TextScore Evaluate(
        ReadOnlySpan<char> text, ReadOnlySpan<KeywordMatch> matches, int subjectEnd, int bodyEnd, Span<Evidence> evidence, bool campaignLinkInMarkup)
    {
        Span<ulong> sentences = stackalloc ulong[MaxSentences];
        sentences.Clear();
        Span<byte> sentenceOf = stackalloc byte[matches.Length];
        ulong message = 0;

        // Pass 1: which signals and contexts each sentence (and the whole message) holds.
        var sentence = 0;
        var position = 0;
        for (var i = 0; i < matches.Length; i++)
        {
            // Count the sentence breaks up to this match, a vectorised search at a time.
            var last = matches[i].End - 1;
            while (position < last)
            {
                var next = text[position..last].IndexOfAny(TextNormalizer.Breaks);
                if (next < 0)
                {
                    position = last;
                    break;
                }

                sentence++;
                position += next + 1;
            }

            var s = Math.Min(sentence, MaxSentences - 1);
            sentenceOf[i] = (byte)s;
            var bit = Signals.Bit(kindOfKeyword[matches[i].Keyword]);
            sentences[s] |= bit;
            message |= bit;
        }

        if (evidence.Length > 0)
        {
            evidence.Fill(new Evidence(-1, TextPart.Body));
        }

        // Pass 2: weigh each marketing signal once, unless its guards explain it away.
        ulong fired = 0;
        var score = 0.0;
        for (var i = 0; i < matches.Length; i++)
        {
            var kind = kindOfKeyword[matches[i].Keyword];
            var bit = Signals.Bit(kind);
            if (Signals.IsContext(kind))
            {
                if (kind == SignalKind.Amount && (fired & Signals.Bit(SignalKind.PricedOffer)) == 0 && IsPricedOffer(sentences[sentenceOf[i]]))
                {
                    Fire(SignalKind.PricedOffer, matches[i], ref fired, ref score, evidence, subjectEnd, bodyEnd);
                }

                continue;
            }

            if ((fired & bit) != 0)
            {
                continue;
            }

            var rule = Signals.Rules[(int)kind];
            var here = sentences[sentenceOf[i]];
            var sentenceGuards = rule.SentenceGuards;
            if ((here & Signals.ForwardLooking) != 0)
            {
                sentenceGuards &= ~Signals.LedgerGuards;
            }

            if ((here & sentenceGuards) == 0 && (message & rule.MessageGuards) == 0)
            {
                Fire(kind, matches[i], ref fired, ref score, evidence, subjectEnd, bodyEnd);
            }
        }

        if (campaignLinkInMarkup && (fired & Signals.Bit(SignalKind.CampaignLink)) == 0)
        {
            fired |= Signals.Bit(SignalKind.CampaignLink);
            score += Signals.Rules[(int)SignalKind.CampaignLink].Weight;
        }

        return new TextScore(Math.Round(score, 2), fired);
    }

    private static void Fire(SignalKind kind, in KeywordMatch match, ref ulong fired, ref double score, Span<Evidence> evidence, int subjectEnd, int bodyEnd)
    {
        fired |= Signals.Bit(kind);
        score += Signals.Rules[(int)kind].Weight;
        if (evidence.Length > 0)
        {
            var part = match.Start < subjectEnd ? TextPart.Subject : match.Start < bodyEnd ? TextPart.Body : TextPart.Html;
            evidence[(int)kind] = new Evidence(match.Keyword, part);
        }
    }

    private static readonly ulong Invitation = Signals.Bit(SignalKind.BookingInvitation) | Signals.Bit(SignalKind.CrossSell)
        | Signals.Bit(SignalKind.Enticement) | Signals.Bit(SignalKind.Deadline) | Signals.Bit(SignalKind.Scarcity)
        | Signals.Bit(SignalKind.SlotsOnOffer) | Signals.Bit(SignalKind.TopUp) | Signals.Bit(SignalKind.NewOffering)
        | Signals.Bit(SignalKind.Seasonal);

    /// <summary>A price in a sentence that invites a purchase or booking, and is not a ledger line.</summary>
    private static bool IsPricedOffer(ulong sentence) =>
        (sentence & Invitation) != 0 && (sentence & Signals.LedgerGuards) == 0;

    /// <summary>Campaign parameters live in href attributes, which the HTML normaliser drops with the tags.</summary>
    internal static bool CampaignLinkIn(ReadOnlySpan<char> html) =>
        !html.IsEmpty && html.Contains("utm_", StringComparison.OrdinalIgnoreCase);
}

using CommsGateway.Contracts;

namespace CommsGateway.Core.Classification;

/// <summary>
/// Classifies message content as service or marketing, in French and English, from signals a compliance
/// officer would name (offers, discounts, events, referral and loyalty schemes, gift cards, new treatments,
/// recalls soliciting a new booking, newsletter framing, campaign links), each weighed and guarded against
/// the known traps (receipts, deposits, access codes, free parking, rebooking after a cancellation by the
/// clinic, the slot the patient asked for). The producer's declared purpose is never an input: under
/// GDPR art. 5(2) the clinic must be able to show why a message was treated as service, so the verdict
/// comes from the content and lists its evidence. Deterministic: same content, same verdict.
/// </summary>
public sealed class ContentClassifier
{
    private readonly ClassifierEngine engine = ClassifierEngine.Shared;

    public Classification Classify(MessageIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return Classify(intent.Subject, intent.Body, intent.Html, intent.Blocks, intent.Channel, intent.Locale);
    }

    /// <param name="lang">Recorded for the caller's convenience only: both languages are always matched, since clinics mix them.</param>
    public Classification Classify(string? subject, string? body, string? html, IReadOnlyList<ContentBlock>? blocks, Channel channel, string? lang)
    {
        _ = lang;
        var text = ClassifyText(subject, body, html);
        var signals = new List<string>(text.Signals);
        var score = text.Score;
        var blockVerdicts = new List<BlockClassification>(blocks?.Count ?? 0);
        for (var i = 0; i < (blocks?.Count ?? 0); i++)
        {
            var block = blocks![i];
            var where = $"blocks[{i}]";
            var verdict = Explain(null, block?.Text, block?.Html, where);
            var declared = block?.Kind ?? Purpose.Unknown;
            var blockSignals = declared == Purpose.Marketing ? [.. verdict.Signals, $"marked-marketing@{where}"] : verdict.Signals;
            var classified = new BlockClassification(i, declared, verdict.IsMarketing, verdict.Score, blockSignals);
            blockVerdicts.Add(classified);
            signals.AddRange(blockSignals);
            score = Math.Max(score, classified.IsMarketing ? Math.Max(verdict.Score, Signals.MarketingThreshold) : verdict.Score);
        }

        var marketing = text.IsMarketing || blockVerdicts.Any(b => b.IsMarketing);
        // INTERIM (review queue, until the learned model lands): a rule score short of the marketing threshold but at
        // least half of it is unsure, so a person reviews it. Marketing is the safe side the policy applies meanwhile.
        var review = !marketing && score >= ReviewThreshold;
        return new Classification(marketing || review ? Purpose.Marketing : Purpose.Service, score, signals)
        {
            Verdict = review ? ContentVerdict.Review : marketing ? ContentVerdict.Marketing : ContentVerdict.Service,
            Probability = Math.Min(1.0, score / Signals.MarketingThreshold),
            MarketingInText = text.IsMarketing,
            Blocks = blockVerdicts,
            HealthDetails = HealthDetailsDetector.Detect(channel, body),
        };
    }

    /// <summary>Classifies unstructured text (subject, body, HTML) with its explanation.</summary>
    public TextClassification ClassifyText(string? subject, string? body, string? html) => Explain(subject, body, html, null);

    /// <summary>
    /// The allocation-free hot path (no explanation): the score of a text; marketing when it reaches
    /// <see cref="MarketingThreshold"/>.
    /// </summary>
    public static double Score(ReadOnlySpan<char> subject, ReadOnlySpan<char> body, ReadOnlySpan<char> html) =>
        ClassifierEngine.Shared.Score(subject, body, html, []).Score;

    public static double MarketingThreshold => Signals.MarketingThreshold;

    /// <summary>INTERIM: from this rule score up to <see cref="MarketingThreshold"/> the verdict is Review.</summary>
    public static double ReviewThreshold => Signals.MarketingThreshold / 2;

    private TextClassification Explain(string? subject, string? body, string? html, string? where)
    {
        Span<Evidence> evidence = stackalloc Evidence[Signals.KindCount];
        var result = engine.Score(subject, body, html, evidence);
        var signals = new List<string>();
        for (var kind = 0; kind < Signals.KindCount; kind++)
        {
            if (!result.Has((SignalKind)kind))
            {
                continue;
            }

            var rule = Signals.Rules[kind];
            var found = evidence[kind];
            var place = where ?? found.Part switch { TextPart.Subject => "subject", TextPart.Html => "html", _ => "body" };
            signals.Add(found.Keyword >= 0
                ? $"{rule.Id}@{place}: \"{engine.Automaton.Keywords[found.Keyword].Text.Replace('0', '#')}\""
                : $"{rule.Id}@{place}");
        }

        return new TextClassification(result.IsMarketing, result.Score, signals);
    }

    /// <summary>What a rule id means, for the DPO reading a decision ("discount-offered" → "a discount or reduction offered").</summary>
    public static IReadOnlyDictionary<string, string> RuleMeanings { get; } =
        Signals.Rules.Where(r => r.Weight > 0).ToDictionary(r => r.Id, r => $"{r.Meaning} (weight {r.Weight:0.0})");
}

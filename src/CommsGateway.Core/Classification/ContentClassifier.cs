using System.Buffers;
using System.Globalization;
using CommsGateway.Contracts;
using CommsGateway.Core.Classification.Model;

namespace CommsGateway.Core.Classification;

/// <summary>The allocation-free verdict of the hot path: the three-way answer, the model's probability and the rules' score.</summary>
public readonly record struct ContentScore(ContentVerdict Verdict, double Probability, double RuleScore, ModelScore Model);

/// <summary>
/// Classifies message content as service, marketing, or review (unsure), in French and English. The verdict comes from
/// a learned linear model (<see cref="MarketingModel"/>: a message is as marketing as its most marketing sentence)
/// with the cut-offs cross-validation chose; the keyword rules (offers, discounts, events, referral and loyalty schemes,
/// gift cards, new treatments, recalls soliciting a booking, newsletter framing, campaign links, each guarded against
/// the known traps: receipts, deposits, access codes, rebooking after a cancellation by the clinic) are a second
/// opinion that can raise the verdict to review or marketing, never lower it. The producer's declared purpose is never
/// an input: under GDPR art. 5(2) the clinic must be able to show why a message was treated as service, so the verdict
/// comes from the content and lists its evidence. Deterministic: same content, same verdict.
/// </summary>
public sealed class ContentClassifier
{
    private readonly ClassifierEngine engine = ClassifierEngine.Shared;
    private readonly MarketingModel model;

    public ContentClassifier()
        : this(MarketingModel.Default)
    {
    }

    public ContentClassifier(MarketingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
    }

    public MarketingModel Model => model;

    public Classification Classify(MessageIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return Classify(intent.Subject, intent.Body, intent.Html, intent.Blocks, intent.Channel, intent.Locale);
    }

    /// <param name="lang">Recorded for the caller's convenience only: both languages are always read, since clinics mix them.</param>
    public Classification Classify(string? subject, string? body, string? html, IReadOnlyList<ContentBlock>? blocks, Channel channel, string? lang)
    {
        _ = lang;
        // Revealed once: the rules (with their evidence) and the model read the same text.
        var seen = new[] { ModelText.Reveal(subject, isHtml: false), ModelText.Reveal(body, isHtml: false), ModelText.Reveal(html, isHtml: true) };
        var rules = Explain(seen[0], seen[1], seen[2], ClassifierEngine.CampaignLinkIn(html), null, out var ruleScore);
        var scored = model.Score(seen[0], seen[1], seen[2], ruleScore);
        var textVerdict = model.Thresholds.VerdictOf(scored.Probability, rules.Score);

        var signals = new List<string>(rules.Signals);
        var score = rules.Score;
        var verdict = textVerdict;
        var blockVerdicts = new List<BlockClassification>(blocks?.Count ?? 0);
        for (var i = 0; i < (blocks?.Count ?? 0); i++)
        {
            var block = blocks![i];
            var where = $"blocks[{i}]";
            var blockText = ModelText.Reveal(block?.Text, isHtml: false);
            var blockHtml = ModelText.Reveal(block?.Html, isHtml: true);
            var blockRules = Explain(default, blockText, blockHtml, ClassifierEngine.CampaignLinkIn(block?.Html), where, out var blockScore);
            var blockModel = model.Score(default, blockText, blockHtml, blockScore);
            var blockVerdict = model.Thresholds.VerdictOf(blockModel.Probability, blockRules.Score);
            var declared = block?.Kind ?? Purpose.Unknown;
            var blockSignals = declared == Purpose.Marketing ? [.. blockRules.Signals, $"marked-marketing@{where}"] : blockRules.Signals;
            var classified = new BlockClassification(i, declared, blockVerdict != ContentVerdict.Service, blockRules.Score, blockSignals);
            blockVerdicts.Add(classified);
            signals.AddRange(blockSignals);
            score = Math.Max(score, classified.IsMarketing ? Math.Max(blockRules.Score, Signals.MarketingThreshold) : blockRules.Score);
            verdict = ModelThresholds.Max(verdict, declared == Purpose.Marketing ? ContentVerdict.Marketing : blockVerdict);
        }

        var sentence = scored.Part == MessagePart.None ? null : seen[(int)scored.Part - 1].Substring(scored.SentenceStart, scored.SentenceLength);
        return new Classification(verdict == ContentVerdict.Service ? Purpose.Service : Purpose.Marketing, score, signals)
        {
            Verdict = verdict,
            Probability = Math.Round(scored.Probability, 4),
            Sentence = sentence,
            Reasons = Reasons(textVerdict, scored, sentence, rules),
            MarketingInText = textVerdict != ContentVerdict.Service,
            Blocks = blockVerdicts,
            HealthDetails = HealthDetailsDetector.Detect(channel, body),
        };
    }

    /// <summary>Classifies unstructured text (subject, body, HTML) with the rules alone, with their explanation.</summary>
    public TextClassification ClassifyText(string? subject, string? body, string? html) => Explain(subject, body, html, null);

    /// <summary>
    /// The allocation-free hot path (no explanation): the three-way verdict of the model and the rules on a text.
    /// The model's sentence position is in the revealed text (<see cref="PatientText.Reveal(ReadOnlySpan{char}, bool, Span{char})"/>).
    /// </summary>
    public ContentScore Score(ReadOnlySpan<char> subject, ReadOnlySpan<char> body, ReadOnlySpan<char> html)
    {
        var rented = ArrayPool<char>.Shared.Rent(PatientText.MaxLength(subject.Length) + PatientText.MaxLength(body.Length) + PatientText.MaxLength(html.Length));
        try
        {
            // Revealed once, read by the rules and the model.
            Span<char> buffer = rented;
            var s = PatientText.Reveal(subject, isHtml: false, buffer);
            var b = PatientText.Reveal(body, isHtml: false, buffer[s..]);
            var h = PatientText.Reveal(html, isHtml: true, buffer[(s + b)..]);
            var rules = engine.ScoreRevealed(buffer[..s], buffer.Slice(s, b), buffer.Slice(s + b, h), ClassifierEngine.CampaignLinkIn(html));
            var scored = model.Score(buffer[..s], buffer.Slice(s, b), buffer.Slice(s + b, h), rules);
            return new ContentScore(model.Thresholds.VerdictOf(scored.Probability, rules.Score), scored.Probability, rules.Score, scored);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>The rules' score alone (allocation-free): marketing evidence when it reaches <see cref="MarketingThreshold"/>.</summary>
    public static double RuleScore(ReadOnlySpan<char> subject, ReadOnlySpan<char> body, ReadOnlySpan<char> html) =>
        ClassifierEngine.Shared.Score(subject, body, html, []).Score;

    public static double MarketingThreshold => Signals.MarketingThreshold;

    /// <summary>What a rule id means, for the DPO reading a decision ("discount-offered" → "a discount or reduction offered").</summary>
    public static IReadOnlyDictionary<string, string> RuleMeanings { get; } =
        Signals.Rules.Where(r => r.Weight > 0).ToDictionary(r => r.Id, r => $"{r.Meaning} (weight {r.Weight:0.0})");

    private static readonly IReadOnlyDictionary<string, string> PlainMeanings =
        Signals.Rules.Where(r => r.Weight > 0).ToDictionary(r => r.Id, r => r.Meaning);

    /// <summary>Plain words: the verdict and why, the sentence that decided it and its strongest words, then each rule that fired.</summary>
    private List<string> Reasons(ContentVerdict verdict, ModelScore scored, string? sentence, TextClassification rules)
    {
        var t = model.Thresholds;
        var reasons = new List<string>();
        var p = scored.Probability.ToString("0.00", CultureInfo.InvariantCulture);
        var modelVerdict = t.VerdictOf(scored.Probability, 0);
        reasons.Add(modelVerdict switch
        {
            ContentVerdict.Marketing => $"The model reads it as marketing ({p}; marketing from {t.MarketingFrom.ToString("0.00", CultureInfo.InvariantCulture)}).",
            ContentVerdict.Review => $"The model is unsure ({p}; review from {t.ReviewFrom.ToString("0.00", CultureInfo.InvariantCulture)}, marketing from {t.MarketingFrom.ToString("0.00", CultureInfo.InvariantCulture)}): a person decides.",
            _ => $"The model reads it as service ({p}; review from {t.ReviewFrom.ToString("0.00", CultureInfo.InvariantCulture)}).",
        });
        if (verdict != modelVerdict)
        {
            reasons.Add(rules.Score >= Signals.MarketingThreshold
                ? $"The keyword rules found marketing (score {rules.Score.ToString("0.0", CultureInfo.InvariantCulture)}): {(verdict == ContentVerdict.Marketing ? "marketing" : "held for review")}."
                : $"The keyword rules found some marketing evidence (score {rules.Score.ToString("0.0", CultureInfo.InvariantCulture)}): held for review.");
        }

        if (sentence is not null && modelVerdict != ContentVerdict.Service)
        {
            var phrases = model.StrongestPhrases(sentence, 3);
            var sentenceRules = ClassifyText(null, sentence, null).Signals.Select(s => PlainMeanings.GetValueOrDefault(s[..s.IndexOf('@', StringComparison.Ordinal)])).OfType<string>().ToList();
            var why = sentenceRules.Count > 0 ? string.Join("; ", sentenceRules) : "it reads like a promotion";
            var words = phrases.Count > 0 ? $" (strongest words: {string.Join(", ", phrases.Select(x => $"\"{x.Phrase}\""))})" : "";
            var whole = scored.SentenceProbability < scored.MessageProbability
                ? $"The message as a whole reads as marketing ({scored.MessageProbability.ToString("0.00", CultureInfo.InvariantCulture)}); its most marketing sentence: "
                : $"The most marketing sentence ({scored.SentenceProbability.ToString("0.00", CultureInfo.InvariantCulture)}): ";
            reasons.Add($"{whole}'{Shorten(sentence)}': {why}{words}.");
        }

        foreach (var signal in rules.Signals)
        {
            var at = signal.IndexOf('@', StringComparison.Ordinal);
            var id = at < 0 ? signal : signal[..at];
            var found = signal.IndexOf(": ", StringComparison.Ordinal) is var colon and >= 0 ? $" ({signal[(colon + 2)..]} in the {signal[(at + 1)..colon]})" : "";
            if (PlainMeanings.TryGetValue(id, out var meaning))
            {
                reasons.Add($"Rule {id}: {meaning}{found}.");
            }
        }

        return reasons;
    }

    private static string Shorten(string sentence) => sentence.Length <= 160 ? sentence : string.Concat(sentence.AsSpan(0, 157), "...");

    private TextClassification Explain(string? subject, string? body, string? html, string? where)
    {
        Span<Evidence> evidence = stackalloc Evidence[Signals.KindCount];
        return Explain(engine.Score(subject, body, html, evidence), evidence, where);
    }

    /// <summary>The rules with their explanation on text already revealed (campaign links looked for by the caller in the raw HTML).</summary>
    private TextClassification Explain(ReadOnlySpan<char> subject, ReadOnlySpan<char> body, ReadOnlySpan<char> html, bool campaignLinkInMarkup, string? where, out TextScore result)
    {
        Span<Evidence> evidence = stackalloc Evidence[Signals.KindCount];
        result = engine.ScoreRevealed(subject, body, html, campaignLinkInMarkup, evidence);
        return Explain(result, evidence, where);
    }

    private TextClassification Explain(TextScore result, ReadOnlySpan<Evidence> evidence, string? where)
    {
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
}

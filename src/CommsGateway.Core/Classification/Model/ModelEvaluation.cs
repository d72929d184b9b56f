using System.Globalization;
using System.Text;

namespace CommsGateway.Core.Classification.Model;

/// <summary>How one set of messages fared: counts by label and verdict.</summary>
public sealed record EvaluationRow(string Name, int Marketing, int Service, int MarketingCaught, int MarketingReviewed, int ServiceCalledMarketing, int ServiceReviewed)
{
    public int Messages => Marketing + Service;

    /// <summary>Marketing whose verdict is marketing or review (not sent as service).</summary>
    public double MarketingCaughtRate => Ratio(MarketingCaught, Marketing);

    /// <summary>Marketing called service: the promotions that would slip through.</summary>
    public double MarketingMissedRate => Ratio(Marketing - MarketingCaught, Marketing);

    public double ServiceCalledMarketingRate => Ratio(ServiceCalledMarketing, Service);

    public double ReviewRate => Ratio(MarketingReviewed + ServiceReviewed, Messages);

    /// <summary>Service answered service (neither marketing nor review).</summary>
    public double ServiceAccuracy => Ratio(Service - ServiceCalledMarketing - ServiceReviewed, Service);

    public bool MeetsTargets => MarketingCaughtRate >= ModelEvaluation.TargetCaught
        && ServiceCalledMarketingRate <= ModelEvaluation.TargetServiceCalledMarketing
        && ReviewRate <= ModelEvaluation.TargetReview;

    public static EvaluationRow Of(string name, IEnumerable<(bool Marketing, ContentVerdict Verdict)> results)
    {
        int m = 0, s = 0, caught = 0, mReview = 0, sMarketing = 0, sReview = 0;
        foreach (var (marketing, verdict) in results)
        {
            if (marketing)
            {
                m++;
                caught += verdict == ContentVerdict.Service ? 0 : 1;
                mReview += verdict == ContentVerdict.Review ? 1 : 0;
            }
            else
            {
                s++;
                sMarketing += verdict == ContentVerdict.Marketing ? 1 : 0;
                sReview += verdict == ContentVerdict.Review ? 1 : 0;
            }
        }

        return new EvaluationRow(name, m, s, caught, mReview, sMarketing, sReview);
    }

    private static double Ratio(int a, int b) => b == 0 ? 0 : (double)a / b;
}

/// <summary>One way of combining the rules with the model, with the cut-offs chosen for it and what it gave out of fold.</summary>
public sealed record PolicyResult(ModelThresholds Thresholds, EvaluationRow OutOfFold, bool Feasible);

/// <summary>One training message scored by the fold model that never saw its family.</summary>
public sealed record OutOfFoldResult(CorpusMessage Message, double Probability, double MessageProbability, double RuleScore, ContentVerdict Verdict, string? Sentence);

/// <summary>Everything `commsgw classify evaluate` prints.</summary>
public sealed record ClassifierEvaluation(
    EvaluationRow CrossValidation,
    EvaluationRow? IndependentAuthors,
    EvaluationRow? HeldOut,
    ModelThresholds Thresholds,
    IReadOnlyList<PolicyResult> Policies,
    int Folds)
{
    /// <summary>Every training message's out-of-fold verdict (for `commsgw classify evaluate --details`).</summary>
    public IReadOnlyList<OutOfFoldResult> OutOfFold { get; init; } = [];

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| evaluation | n | marketing caught | marketing called service | service called marketing | review rate | service answered service |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in new[] { CrossValidation, IndependentAuthors, HeldOut })
        {
            if (row is not null)
            {
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {row.Name} | {row.Messages} ({row.Marketing} mkt) | {row.MarketingCaughtRate:0.000} | {row.MarketingMissedRate:0.000} | {row.ServiceCalledMarketingRate:0.000} | {row.ReviewRate:0.000} | {row.ServiceAccuracy:0.000} |");
            }
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Thresholds: review from p ≥ {Thresholds.ReviewFrom:0.0000}, marketing from p ≥ {Thresholds.MarketingFrom:0.0000}; sentence weight α = {Thresholds.SentenceWeight:0.0}, offset c = {Thresholds.SentenceOffset:0.0}; rule score ≥ {Signals.MarketingThreshold:0.0} → at least {Thresholds.StrongRules}, weaker rule evidence → at least {Thresholds.WeakRules}.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Rules policies at the chosen α and c (out of fold; {Policies.Count(p => p.Feasible)} feasible of {Policies.Count} combinations tried):");
        text.AppendLine();
        text.AppendLine("| rules: strong → | weaker → | review from | marketing from | caught | service called marketing | review rate | feasible |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
        foreach (var p in Policies.Where(p => p.Thresholds.SentenceWeight == Thresholds.SentenceWeight && p.Thresholds.SentenceOffset == Thresholds.SentenceOffset))
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Thresholds.StrongRules} | {p.Thresholds.WeakRules} | {p.Thresholds.ReviewFrom:0.0000} | {p.Thresholds.MarketingFrom:0.0000} | {p.OutOfFold.MarketingCaughtRate:0.000} | {p.OutOfFold.ServiceCalledMarketingRate:0.000} | {p.OutOfFold.ReviewRate:0.000} | {(p.Feasible ? "yes" : "no")} |");
        }

        return text.ToString();
    }
}

/// <summary>
/// Trains and evaluates the model: grouped k-fold cross-validation by family over the training files (out-of-fold
/// probabilities choose the thresholds and the rules policy), an independent-author estimate (trained on the project's
/// corpus-* files, scored on the shared-* files written by other people), and the shipped model on the heldout-* files.
/// </summary>
public static class ModelEvaluation
{
    public const double TargetCaught = 0.98;
    public const double TargetServiceCalledMarketing = 0.04;
    public const double TargetReview = 0.12;

    /// <summary>Cut-offs are chosen tighter than the targets, for the margin unseen authors need.</summary>
    public const double ChooseCaught = 0.99;
    public const double ChooseServiceCalledMarketing = 0.02;

    public const int Folds = 5;

    /// <summary>The sentence weights α and offsets c cross-validation chooses from (α = 1, c = 0: the plain maximum).</summary>
    private static readonly double[] SentenceWeights = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5];

    private static readonly double[] SentenceOffsets = [0.0, 0.5, 1.0, 1.5];

    /// <summary>Trains the model the corpus defines (cross-validation included, for its thresholds).</summary>
    public static MarketingModel Train(IReadOnlyList<CorpusFile> files, TrainingOptions? options = null) =>
        Run(files, options ?? new TrainingOptions(), evaluate: false).Model;

    /// <summary>Trains, then evaluates on every estimate the corpus allows.</summary>
    public static (MarketingModel Model, ClassifierEvaluation Evaluation) TrainAndEvaluate(IReadOnlyList<CorpusFile> files, TrainingOptions? options = null) =>
        Run(files, options ?? new TrainingOptions(), evaluate: true);

    /// <summary>Scores a finished model on labelled messages with its own thresholds.</summary>
    public static EvaluationRow Score(MarketingModel model, string name, IEnumerable<CorpusMessage> messages) =>
        EvaluationRow.Of(name, messages.Select(m => (m.IsMarketing, model.Thresholds.VerdictOf(Probability(model, m), ContentClassifier.RuleScore(m.Subject, m.Body, null)))));

    private static (MarketingModel Model, ClassifierEvaluation Evaluation) Run(IReadOnlyList<CorpusFile> files, TrainingOptions options, bool evaluate)
    {
        var trainingFiles = files.Where(f => !f.IsHeldOut).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        var training = trainingFiles.SelectMany(f => f.Parse()).Select(m => FeaturedMessage.Of(m, options.Bits)).ToList();
        var sha = CorpusFile.Sha256(trainingFiles);

        // Out-of-fold probabilities: each family is scored by a model that never saw it.
        var probabilities = new double[training.Count];
        var scores = new ModelScore[training.Count];
        var fold = training.Select(m => (int)(Fnv(m.Message.Family) % Folds)).ToArray();
        for (var k = 0; k < Folds; k++)
        {
            var model = ModelTrainer.Train([.. training.Where((_, i) => fold[i] != k)], options, default, sha);
            for (var i = 0; i < training.Count; i++)
            {
                if (fold[i] == k)
                {
                    scores[i] = model.Score(training[i].Subject, training[i].Body, default, training[i].Rules);
                    probabilities[i] = scores[i].Probability;
                }
            }
        }

        var labels = training.Select(m => m.Message.IsMarketing).ToArray();
        var rules = training.Select(m => m.RuleScore).ToArray();
        var policies = new List<PolicyResult>();
        foreach (var alpha in SentenceWeights)
        {
            foreach (var offset in SentenceOffsets)
            {
                var combined = scores.Select(s => new ModelThresholds(0, 1, RulePush.None, RulePush.None, alpha, offset).Probability(s.MessageLogit, s.SentenceLogit)).ToArray();
                foreach (var strong in (RulePush[])[RulePush.Marketing, RulePush.Review])
                {
                    foreach (var weak in (RulePush[])[RulePush.None, RulePush.Review])
                    {
                        policies.Add(Choose(combined, rules, labels, strong, weak, alpha, offset));
                    }
                }
            }
        }

        // The combination that meets the chosen rates with the fewest messages held for review (ties: the first listed).
        var chosen = policies.Where(p => p.Feasible).OrderBy(p => p.OutOfFold.ReviewRate).FirstOrDefault() ?? policies[^1];
        probabilities = [.. scores.Select(s => chosen.Thresholds.Probability(s.MessageLogit, s.SentenceLogit))];
        var shipped = ModelTrainer.Train(training, options, chosen.Thresholds, sha);
        if (!evaluate)
        {
            return (shipped, null!);
        }

        EvaluationRow? independent = null;
        var own = training.Where(m => !IsIndependent(files, m)).ToList();
        var others = training.Where(m => IsIndependent(files, m)).ToList();
        if (own.Any(m => m.Message.IsMarketing) && own.Any(m => !m.Message.IsMarketing) && others.Count > 0)
        {
            var ownModel = ModelTrainer.Train(own, options, chosen.Thresholds, sha);
            independent = EvaluationRow.Of($"independent authors ({string.Join('+', own.Select(m => m.Message.Source).Distinct())} → {string.Join('+', others.Select(m => m.Message.Source).Distinct())})",
                others.Select(m => (m.Message.IsMarketing, chosen.Thresholds.VerdictOf(Probability(ownModel, m), m.RuleScore))));
        }

        var heldOutMessages = files.Where(f => f.IsHeldOut).SelectMany(f => f.Parse()).ToList();
        var heldOut = heldOutMessages.Count == 0 ? null : Score(shipped, $"shipped model on {string.Join('+', files.Where(f => f.IsHeldOut).Select(f => f.Name))}", heldOutMessages);
        var cv = chosen.OutOfFold with { Name = $"grouped {Folds}-fold CV by family ({training.Count} messages)" };
        var details = training.Select((m, i) => new OutOfFoldResult(m.Message, probabilities[i], scores[i].MessageProbability, m.RuleScore,
            chosen.Thresholds.VerdictOf(probabilities[i], m.RuleScore),
            scores[i].Part switch { MessagePart.Subject => m.Subject.Substring(scores[i].SentenceStart, scores[i].SentenceLength), MessagePart.Body => m.Body.Substring(scores[i].SentenceStart, scores[i].SentenceLength), _ => null })).ToList();
        return (shipped, new ClassifierEvaluation(cv, independent, heldOut, chosen.Thresholds, policies, Folds) { OutOfFold = details });
    }

    private static bool IsIndependent(IReadOnlyList<CorpusFile> files, FeaturedMessage m) =>
        files.First(f => f.Name == m.Message.Source).IsIndependent;

    /// <summary>
    /// The rule: review from the highest probability that still sends ≥ 99 % of marketing to marketing or review; marketing
    /// from the lowest probability that calls ≤ 2 % of service marketing (both counting what the rules already push);
    /// each cut-off halfway between the two neighbouring out-of-fold scores.
    /// </summary>
    internal static PolicyResult Choose(double[] p, double[] rules, bool[] marketing, RulePush strong, RulePush weak, double alpha = 1, double offset = 0)
    {
        RulePush Push(int i) => rules[i] >= Signals.MarketingThreshold ? strong : rules[i] > 0 ? weak : RulePush.None;

        var nMarketing = marketing.Count(m => m);
        var nService = marketing.Length - nMarketing;

        // Marketing the rules do not already catch, most marketing first.
        var unpushed = Enumerable.Range(0, p.Length).Where(i => marketing[i] && Push(i) == RulePush.None).Select(i => p[i]).OrderDescending().ToArray();
        var needed = (int)Math.Ceiling(ChooseCaught * nMarketing) - (nMarketing - unpushed.Length);
        var reviewFrom = needed <= 0 ? 1.0 : needed >= unpushed.Length ? unpushed[^1] / 2 : (unpushed[needed - 1] + unpushed[needed]) / 2;

        // Service the rules do not already call marketing, most marketing first.
        var candidates = Enumerable.Range(0, p.Length).Where(i => !marketing[i] && Push(i) != RulePush.Marketing).Select(i => p[i]).OrderDescending().ToArray();
        var allowed = (int)Math.Floor(ChooseServiceCalledMarketing * nService) - (nService - candidates.Length);
        var feasible = allowed >= 0;
        var marketingFrom = allowed < 0 || candidates.Length == 0 ? 1.0 : allowed >= candidates.Length ? candidates[^1] / 2
            : ((allowed == 0 ? 1.0 : candidates[allowed - 1]) + candidates[allowed]) / 2;
        reviewFrom = Math.Min(reviewFrom, marketingFrom);

        var thresholds = new ModelThresholds(reviewFrom, marketingFrom, strong, weak, alpha, offset);
        var row = EvaluationRow.Of("out of fold", Enumerable.Range(0, p.Length).Select(i => (marketing[i], thresholds.VerdictOf(p[i], rules[i]))));
        return new PolicyResult(thresholds, row, feasible);
    }

    private static double Probability(MarketingModel model, FeaturedMessage m) => model.Score(m.Subject, m.Body, default, m.Rules).Probability;

    private static double Probability(MarketingModel model, CorpusMessage m) =>
        model.Score(ModelText.Reveal(m.Subject, false), ModelText.Reveal(m.Body, false), default, ClassifierEngine.Shared.Score(m.Subject, m.Body, null, [])).Probability;

    private static uint Fnv(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash;
    }
}

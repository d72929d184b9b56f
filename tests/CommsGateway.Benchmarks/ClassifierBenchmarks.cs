using BenchmarkDotNet.Attributes;
using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Classification.Model;

namespace CommsGateway.Benchmarks;

/// <summary>
/// The classifier's hot path on a 1 KB message (FR + EN, a reminder with a promotion in its last line, so
/// every guard runs) against the naive way: lower-case the text, then string.Contains for each keyword of
/// the same lexicon. Targets: the rules alone ≤ 5 µs, the full verdict with the model
/// (<see cref="ContentClassifier.Score"/>: reveal, rules, model on the message and each sentence) ≤ 25 µs, both 0 B
/// allocated per message; loading the model ≤ 200 ms.
/// </summary>
[MemoryDiagnoser]
public class ClassifierBenchmarks
{
    private const string Body1K =
        "Bonjour Madame Lefèvre,\n\nNous vous confirmons votre rendez-vous du mardi 14 mai à 10h30 avec le Dr Aubert " +
        "pour votre séance de laser pigmentaire. Merci d’arriver 10 minutes en avance et de vous munir de votre carte Vitale. " +
        "Le parking souterrain est gratuit pour nos patients (entrée rue des Lilas, code d’accès 4821).\n\n" +
        "Après la séance : pas d’exposition au soleil pendant 15 jours, crème cicatrisante matin et soir, SPF 50. " +
        "En cas de rougeur inhabituelle, contactez-nous au 01 23 45 67 89.\n\n" +
        "Reminder for English-speaking patients: your appointment is on Tuesday 14 May at 10:30 with Dr Aubert. " +
        "Please arrive ten minutes early. If you need to cancel, call us at least 48 hours before.\n\n" +
        "Votre facture de l’acompte (30 %, 120,00 €) est disponible dans votre espace patient.\n\n" +
        "PS : en mai, -20 % sur le peeling si vous l’ajoutez à votre séance 😉 Réservez en ligne !\n\n" +
        "L’équipe de la Clinique des Tilleuls";

    private readonly ContentClassifier classifier = new();
    private readonly MessageIntent intent = new() { Channel = Channel.Email, Subject = "Votre rendez-vous du 14 mai", Body = Body1K };
    private readonly char[] normalizeBuffer = new char[TextNormalizer.MaxLength(Body1K.Length)];
    private readonly KeywordMatch[] matchBuffer = new KeywordMatch[192];
    private string[] keywords = [];
    private string normalized = "";
    private byte[] modelFile = [];
    private readonly char[] revealBuffer = new char[PatientText.MaxLength(Body1K.Length)];
    private string revealed = "";

    [GlobalSetup]
    public void Setup()
    {
        keywords = [.. Lexicon.Marketing.Concat(Lexicon.Contexts).SelectMany(g => g.Keywords).Select(k => k.TrimEnd('*'))];
        normalized = TextNormalizer.Normalize(Body1K);
        modelFile = MarketingModel.Default.ToBytes();
        revealed = PatientText.Reveal(Body1K, isHtml: false);
    }

    public static int BodyLength => Body1K.Length;

    /// <summary>The naive way: one lower-cased copy, then a Contains per keyword (no accent folding, no guards).</summary>
    [Benchmark(Baseline = true)]
    public int NaiveContains()
    {
        var text = (intent.Subject + "\n" + intent.Body).ToLowerInvariant();
        var hits = 0;
        foreach (var keyword in keywords)
        {
            if (text.Contains(keyword, StringComparison.Ordinal))
            {
                hits++;
            }
        }

        return hits;
    }

    /// <summary>The rules alone: reveal + normalise + automaton + guarded weighing, no explanation.</summary>
    [Benchmark]
    public double Rules() => ContentClassifier.RuleScore(intent.Subject, intent.Body, null);

    /// <summary>The gateway's hot path: the three-way verdict of the model (message and each sentence) and the rules, no explanation.</summary>
    [Benchmark]
    public ContentScore Classifier() => classifier.Score(intent.Subject, intent.Body, null);

    /// <summary>Loading the embedded model file (1 MB of weights), as at start-up.</summary>
    [Benchmark]
    public MarketingModel ModelLoad() => MarketingModel.Load(modelFile);

    /// <summary>The full explained verdict the gateway records (allocates its result: signal strings, lists).</summary>
    [Benchmark]
    public Classification ClassifierExplained() => classifier.Classify(intent);

    /// <summary>Revealing the body as the patient sees it (PatientText), which the rules and the model share.</summary>
    [Benchmark]
    public int StageReveal() => PatientText.Reveal(Body1K, isHtml: false, revealBuffer);

    /// <summary>The model alone on revealed text (features of each sentence, the rules of the message and of the three best sentences).</summary>
    [Benchmark]
    public double StageModel() => MarketingModel.Default.Score(intent.Subject, revealed, default).Probability;

    /// <summary>Stage 1 alone: folding the body into the automaton's alphabet.</summary>
    [Benchmark]
    public int StageNormalize() => TextNormalizer.Normalize(Body1K, normalizeBuffer);

    /// <summary>Stage 2 alone: the keyword automaton over the already normalised body.</summary>
    [Benchmark]
    public int StageScan() => ClassifierEngine.Shared.Automaton.Scan(normalized, matchBuffer);
}

using CommsGateway.Contracts;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Classification.Model;
using Xunit.Abstractions;

namespace CommsGateway.Core.Tests.Classification;

/// <summary>The learned model: the committed file is the one the corpus trains, it meets the targets, and it reads sentences.</summary>
public sealed class ModelTests(ITestOutputHelper output)
{
    private readonly ContentClassifier classifier = new();

    /// <summary>data/classifier, found by walking up from the test binaries to the repository.</summary>
    internal static string CorpusDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "classifier");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"no data/classifier above {AppContext.BaseDirectory}");
    }

    internal static List<CorpusFile> CorpusFiles() =>
        [.. Directory.GetFiles(CorpusDirectory(), "*.jsonl").Order(StringComparer.Ordinal).Select(f => new CorpusFile(Path.GetFileName(f), File.ReadAllText(f)))];

    [Fact]
    public void Should_ship_exactly_the_model_the_committed_corpus_trains()
    {
        var trained = ModelEvaluation.Train(CorpusFiles()).ToBytes();
        var committed = File.ReadAllBytes(Path.Combine(CorpusDirectory(), "model.bin"));

        Assert.True(trained.AsSpan().SequenceEqual(committed), "data/classifier/model.bin is not what the corpus trains: run `commsgw classify train`");
        Assert.True(MarketingModel.Default.ToBytes().AsSpan().SequenceEqual(committed), "the embedded model differs from data/classifier/model.bin: rebuild");
        Assert.True(committed.Length <= 5 * 1024 * 1024, $"model.bin is {committed.Length} bytes");
    }

    [Fact]
    public void Should_meet_the_targets_on_cross_validation_and_on_the_held_out_corpus()
    {
        var (_, evaluation) = ModelEvaluation.TrainAndEvaluate(CorpusFiles());
        output.WriteLine(evaluation.ToMarkdown());

        Assert.Equal(MarketingModel.Default.Thresholds, evaluation.Thresholds);
        Assert.NotNull(evaluation.HeldOut);
        foreach (var row in new[] { evaluation.CrossValidation, evaluation.HeldOut })
        {
            Assert.True(row.MarketingCaughtRate >= ModelEvaluation.TargetCaught, $"{row.Name}: marketing caught {row.MarketingCaughtRate:0.000} < 0.98");
            Assert.True(row.ServiceCalledMarketingRate <= ModelEvaluation.TargetServiceCalledMarketing, $"{row.Name}: service called marketing {row.ServiceCalledMarketingRate:0.000} > 0.04");
            Assert.True(row.ReviewRate <= ModelEvaluation.TargetReview, $"{row.Name}: review rate {row.ReviewRate:0.000} > 0.12");
        }
    }

    [Fact]
    public void Should_train_the_same_model_twice_and_read_back_what_it_wrote()
    {
        var files = CorpusFiles().Where(f => f.Name.StartsWith("shared-", StringComparison.Ordinal)).ToList();
        var options = new TrainingOptions { Epochs = 3, Bits = 16 };
        var first = ModelEvaluation.Train(files, options).ToBytes();
        var second = ModelEvaluation.Train(files, options).ToBytes();

        Assert.Equal(first, second);
        Assert.Equal(first, MarketingModel.Load(first).ToBytes());
        Assert.Throws<InvalidDataException>(() => MarketingModel.Load(first.AsSpan(0, 100)));
    }

    [Fact]
    public void Should_find_the_promotion_in_the_postscript_of_a_long_service_email()
    {
        const string sentence = "PS: this month only, 20% off all chemical peels when you book before Friday!";
        var body = "Dear Ms Carter,\n\nThank you for your visit on Tuesday. Your next appointment for the second laser session is on " +
                   "Thursday 12 June at 14:30 with Dr Aubert. Please avoid sun exposure for two weeks and apply the healing cream " +
                   "morning and evening. If you notice unusual redness or swelling, call us on 020 7946 0112.\n\nYour invoice for " +
                   "today's session (£180.00, paid by card) is available in your patient portal.\n\nKind regards,\nThe Lime Tree Clinic\n\n" + sentence;

        var result = classifier.Classify("Your next laser session", body, null, null, Channel.Email, "en");

        Assert.NotEqual(ContentVerdict.Service, result.Verdict);
        Assert.Equal(Purpose.Marketing, result.Purpose);
        Assert.Equal(sentence, result.Sentence);
        Assert.Contains(result.Reasons, r => r.Contains("'PS: this month only", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Your receipt", "Receipt for your visit on 3 May: chemical peel £120.00, loyalty discount -20 % (-£24.00), total paid £96.00 by card. Thank you.")]
    [InlineData("Votre facture", "Facture n° 2024-118 : séance de laser 150,00 €, remise fidélité -20 % (-30,00 €), total réglé 120,00 € par carte. Merci de votre visite.")]
    [InlineData("", "Reminder: your appointment with Dr Martin is tomorrow at 10:30. To cancel or change, call 01 23 45 67 89.")]
    [InlineData("", "Rappel : votre rendez-vous avec le Dr Lefèvre est demain à 14h. En cas d'empêchement, merci de nous prévenir 48h à l'avance.")]
    [InlineData("Your appointment", "Hello Tom, this is a reminder of your physiotherapy appointment on Monday 3 March at 9:15 with Sarah. Please bring comfortable clothes.")]
    public void Should_answer_service_for_receipts_and_ordinary_reminders(string subject, string body)
    {
        var result = classifier.Classify(subject, body, null, null, Channel.Email, null);

        Assert.True(result.Verdict == ContentVerdict.Service, $"{result.Verdict} ({result.Probability:0.000}): {string.Join(" | ", result.Reasons)}");
        Assert.Equal(Purpose.Service, result.Purpose);
    }

    [Fact]
    public void Should_explain_a_marketing_verdict_with_its_sentence_and_words()
    {
        var result = classifier.Classify("", "Hi Jo! We're starting a new pilates class on Thursdays at the clinic. Want one? Book a place at reception.", null, null, Channel.Sms, "en");

        Assert.NotEqual(ContentVerdict.Service, result.Verdict);
        Assert.NotNull(result.Sentence);
        Assert.Contains(result.Reasons, r => r.Contains($"'{result.Sentence}'", StringComparison.Ordinal) && r.Contains("strongest words", StringComparison.Ordinal));
        Assert.True(result.Probability >= MarketingModel.Default.Thresholds.ReviewFrom);
    }

    [Fact]
    public void Should_let_the_rules_raise_the_verdict_but_never_lower_it()
    {
        var t = new ModelThresholds(0.3, 0.7, RulePush.Review, RulePush.None);

        Assert.Equal(ContentVerdict.Service, t.VerdictOf(0.1, 0));
        Assert.Equal(ContentVerdict.Review, t.VerdictOf(0.1, 1.0));
        Assert.Equal(ContentVerdict.Marketing, t.VerdictOf(0.9, 1.0));
        Assert.Equal(ContentVerdict.Service, t.VerdictOf(0.1, 0.5));
        Assert.Equal(ContentVerdict.Review, (t with { WeakRules = RulePush.Review }).VerdictOf(0.1, 0.5));
        Assert.Equal(ContentVerdict.Marketing, (t with { StrongRules = RulePush.Marketing }).VerdictOf(0.1, 1.2));
        Assert.Equal(ContentVerdict.Marketing, t.VerdictOf(0.7, 0));
        Assert.Equal(ContentVerdict.Review, t.VerdictOf(0.3, 0));
    }

    [Fact]
    public void Should_give_the_same_verdict_and_rules_explained_as_on_the_hot_path()
    {
        // The explanation reveals once and reads the rules on the revealed text; the rules alone read the raw text.
        var messages = CorpusFiles().SelectMany(f => f.Parse()).Select(m => (m.Subject, (string?)m.Body, (string?)null))
            .Append((null, null, "<p>Offre d'&eacute;t&eacute; : <b>-20&nbsp;%</b></p><a href=\"https://x.fr/?utm_source=mail\">ici</a>"))
            .Append(("Votre facture", "Merci pour votre visite.", "<div>Facture n&deg; 1043 : 120,00&euro; r&eacute;gl&eacute;s</div>"));
        foreach (var (subject, body, html) in messages)
        {
            var explained = classifier.Classify(subject, body, html, null, Channel.Email, "fr");
            var score = classifier.Score(subject, body, html);

            Assert.Equal(score.Verdict, explained.Verdict);
            Assert.Equal(Math.Round(score.Probability, 4), explained.Probability);
            Assert.Equal(score.RuleScore, explained.Score);
            Assert.Equal(classifier.ClassifyText(subject, body, html).Signals, explained.Signals);
        }
    }

    [Fact]
    public void Should_score_without_allocating()
    {
        const string body = "Bonjour, votre rendez-vous est confirmé mardi à 10h30 avec le Dr Aubert. PS : en mai, -20 % sur le peeling si vous l'ajoutez à votre séance !";
        var score = classifier.Score("Votre rendez-vous", body, null);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            score = classifier.Score("Votre rendez-vous", body, null);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(ContentVerdict.Service, score.Verdict);
        Assert.Equal(MessagePart.Body, score.Model.Part);
        Assert.StartsWith("PS", body.AsSpan(score.Model.SentenceStart, score.Model.SentenceLength).ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Total paid: 72.25 €. Thank you!", new[] { "Total paid: 72.25 €.", "Thank you!" })]
    [InlineData("Hi Jo! Want one? Book at www.clinic.fr today", new[] { "Hi Jo!", "Want one?", "Book at www.clinic.fr today" })]
    [InlineData("Line one\n- item two\n• item three\n-20 % on peels", new[] { "Line one", "item two", "item three", "-20 % on peels" })]
    [InlineData("RDV à 10h30 ; merci… À bientôt 😉 L'équipe", new[] { "RDV à 10h30 ;", "merci…", "À bientôt", "L'équipe" })]
    public void Should_split_sentences_where_the_patient_reads_them(string text, string[] expected)
    {
        var found = new List<string>();
        var from = 0;
        while (Sentences.Next(text, ref from, out var start, out var length))
        {
            found.Add(text.Substring(start, length));
        }

        Assert.Equal(expected, found);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-3.7)]
    [InlineData(12.25)]
    [InlineData(-40.5)]
    [InlineData(300.0)]
    public void Should_compute_exp_from_ieee_operations_to_double_precision(double x)
    {
        var expected = Math.Exp(x);
        Assert.True(Math.Abs(MarketingModel.Exp(x) - expected) <= expected * 1e-13, $"{MarketingModel.Exp(x)} vs {expected}");
    }
}

using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CommsGateway.Core.Classification.Model;

/// <summary>What the rules may add to the model's verdict (never less: the rules never clear a message).</summary>
public enum RulePush : byte
{
    None = 0,
    Review = 1,
    Marketing = 2,
}

/// <summary>
/// The cut-offs chosen by grouped cross-validation and stored with the weights: probability at or above
/// <see cref="MarketingFrom"/> is marketing, at or above <see cref="ReviewFrom"/> is review; a rule score of at
/// least <see cref="Signals.MarketingThreshold"/> raises the verdict to <see cref="StrongRules"/>, any weaker
/// rule evidence to <see cref="WeakRules"/>. A sentence competes with the whole message through
/// <see cref="SentenceWeight"/> α and <see cref="SentenceOffset"/> c: its logit is α·sentence + (1−α)·message − c,
/// so one promotional sentence wins over a service letter, and one short odd line of a service message does not.
/// </summary>
public readonly record struct ModelThresholds(double ReviewFrom, double MarketingFrom, RulePush StrongRules, RulePush WeakRules, double SentenceWeight = 1, double SentenceOffset = 0)
{
    /// <summary>The message's probability from its whole-message and most-marketing-sentence logits (bias included).</summary>
    public double Probability(double messageLogit, double sentenceLogit) =>
        Math.Max(MarketingModel.Sigmoid(messageLogit), MarketingModel.Sigmoid(SentenceLogit(messageLogit, sentenceLogit)));

    public double SentenceLogit(double messageLogit, double sentenceLogit) =>
        double.IsNegativeInfinity(sentenceLogit) ? double.NegativeInfinity : (SentenceWeight * sentenceLogit) + ((1 - SentenceWeight) * messageLogit) - SentenceOffset;

    public ContentVerdict VerdictOf(double probability, double ruleScore)
    {
        var verdict = probability >= MarketingFrom ? ContentVerdict.Marketing : probability >= ReviewFrom ? ContentVerdict.Review : ContentVerdict.Service;
        var push = ruleScore >= Signals.MarketingThreshold ? StrongRules : ruleScore > 0 ? WeakRules : RulePush.None;
        return Max(verdict, push switch { RulePush.Marketing => ContentVerdict.Marketing, RulePush.Review => ContentVerdict.Review, _ => ContentVerdict.Service });
    }

    /// <summary>Service &lt; Review &lt; Marketing: the safe-side order.</summary>
    public static ContentVerdict Max(ContentVerdict a, ContentVerdict b) => Rank(a) >= Rank(b) ? a : b;

    private static int Rank(ContentVerdict v) => v switch { ContentVerdict.Marketing => 2, ContentVerdict.Review => 1, _ => 0 };
}

/// <summary>Which part of the message a sentence came from.</summary>
public enum MessagePart : byte
{
    None,
    Subject,
    Body,
    Html,
}

/// <summary>
/// The allocation-free model verdict: the probability the message is marketing (the highest of the whole message
/// and each sentence), the whole message's own probability, and where the most marketing sentence is.
/// </summary>
public readonly record struct ModelScore(double Probability, double MessageProbability, double SentenceProbability, MessagePart Part, int SentenceStart, int SentenceLength, double RuleScore)
{
    /// <summary>Bias + the whole message's features (cross-validation recombines the logits under other α and c).</summary>
    internal double MessageLogit { get; init; }

    /// <summary>Bias + the most marketing sentence's features alone; −∞ without a sentence.</summary>
    internal double SentenceLogit { get; init; }
}

/// <summary>
/// A linear model on hashed word 1–2-grams and character 3–5-grams, trained by <see cref="ModelTrainer"/>.
/// A message is as marketing as its most marketing sentence: the score is the maximum of the logistic of the whole
/// message's sum and of each sentence's sum (one pass over the text gives both). Immutable and thread-safe.
/// File: "CGMM", version, hash bits, bias, thresholds, rule pushes, training-set size, SHA-256 of the training
/// corpus, sentence weight and offset, then 2^bits float32 weights, all little-endian.
/// </summary>
public sealed class MarketingModel
{
    public const int FormatVersion = 1;
    internal const string ResourceName = "CommsGateway.Core.Classification.model.bin";
    private const int HeaderSize = 4 + 4 + 4 + 4 + 8 + 8 + 4 + 4 + 32 + 8 + 8;
    private static readonly Lazy<MarketingModel> Shipped = new(LoadShipped, LazyThreadSafetyMode.ExecutionAndPublication);

    internal MarketingModel(int bits, float bias, float[] weights, ModelThresholds thresholds, int trainingMessages, byte[] corpusSha256)
    {
        if (weights.Length != 1 << bits)
        {
            throw new ArgumentException($"{weights.Length} weights for {bits} hash bits", nameof(weights));
        }

        Bits = bits;
        Bias = bias;
        Weights = weights;
        Thresholds = thresholds;
        TrainingMessages = trainingMessages;
        CorpusSha256 = corpusSha256;
    }

    /// <summary>The model shipped inside the assembly (data/classifier/model.bin), loaded once.</summary>
    public static MarketingModel Default => Shipped.Value;

    public int Bits { get; }

    public float Bias { get; }

    internal float[] Weights { get; }

    public ModelThresholds Thresholds { get; }

    public int TrainingMessages { get; }

    public IReadOnlyList<byte> CorpusSha256 { get; }

    /// <summary>The same weights with other cut-offs (experiments and tests; the shipped cut-offs come from cross-validation).</summary>
    public MarketingModel WithThresholds(ModelThresholds thresholds) =>
        new(Bits, Bias, Weights, thresholds, TrainingMessages, [.. CorpusSha256]);

    /// <summary>
    /// Scores text as the patient sees it (see <c>PatientText</c>). The whole message is the subject and the body
    /// (the HTML when there is no body); every sentence of the subject, body and HTML competes for the maximum.
    /// </summary>
    public ModelScore Score(ReadOnlySpan<char> subject, ReadOnlySpan<char> body, ReadOnlySpan<char> html) =>
        Score(subject, body, html, ClassifierEngine.Shared.ScoreRevealed(subject, body, html, campaignLinkInMarkup: false));

    /// <param name="rules">The rules' verdict on the message as produced (they read campaign links in the raw HTML).</param>
    internal ModelScore Score(ReadOnlySpan<char> subject, ReadOnlySpan<char> body, ReadOnlySpan<char> html, TextScore rules)
    {
        // Each sentence is folded once, into its own slot between segment breaks: the features read it, then the rules
        // read the slots of the best few as they would read the sentence alone.
        var rented = ArrayPool<char>.Shared.Rent(FoldedCapacity(subject.Length) + FoldedCapacity(body.Length) + FoldedCapacity(html.Length) + 1);
        try
        {
            Span<char> folded = rented;
            folded[0] = TextNormalizer.Break;
            var used = 1;
            var top = new Candidates();
            var (total, count) = Part(subject, MessagePart.Subject, folded, ref used, ref top);
            var (bodySum, bodyCount) = Part(body, MessagePart.Body, folded, ref used, ref top);
            var (htmlSum, htmlCount) = Part(html, MessagePart.Html, folded, ref used, ref top);
            total += body.IsEmpty ? htmlSum : bodySum;
            count += body.IsEmpty ? htmlCount : bodyCount;
            return Combine(total, count, top, folded, rules);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>Room for the folded sentences of a text: at most 2L + 2 characters each (TextNormalizer), one break after each, sentences at least one character long.</summary>
    private static int FoldedCapacity(int length) => checked(5 * length);

    private ModelScore Combine(float total, int count, in Candidates top, ReadOnlySpan<char> folded, TextScore rules)
    {
        // The rules are read in the few sentences the words rank highest, not in every sentence: most of the cost otherwise.
        var best = new Best { Logit = double.NegativeInfinity };
        if (top[Candidates.Size - 1].Part != MessagePart.None)
        {
            var (r0, r1, r2) = ClassifierEngine.Shared.ScoreFoldedSentences(Slot(folded, top[0]), Slot(folded, top[1]), Slot(folded, top[2]));
            Consider(top[0], r0, ref best);
            Consider(top[1], r1, ref best);
            Consider(top[2], r2, ref best);
        }
        else
        {
            for (var i = 0; i < Candidates.Size && top[i].Part != MessagePart.None; i++)
            {
                Consider(top[i], ClassifierEngine.Shared.ScoreFoldedSentence(Slot(folded, top[i])), ref best);
            }
        }

        var messageLogit = Bias + (total * Scale(count)) + RuleSum(rules.Fired);
        var message = Sigmoid(messageLogit);
        var sentence = Sigmoid(Thresholds.SentenceLogit(messageLogit, best.Logit));
        return new ModelScore(Math.Max(message, sentence), message, sentence, best.Part, best.Start, best.Length, rules.Score)
        {
            MessageLogit = messageLogit,
            SentenceLogit = best.Logit,
        };
    }

    /// <summary>The probability of one piece of text taken as a single sentence (explanations, tests).</summary>
    public double SentenceProbability(ReadOnlySpan<char> sentence)
    {
        var sink = new WeightSum(Weights);
        var count = Featurizer.Visit(sentence, Bits, ref sink);
        return Sigmoid(Bias + (sink.Sum * Scale(count)) + RuleSum(ClassifierEngine.Shared.ScoreRevealed(default, sentence, default, campaignLinkInMarkup: false).Fired));
    }

    /// <summary>
    /// The words and word pairs that pushed a sentence most towards marketing, strongest first, as folded text with
    /// numbers shown as '#' (a word counts with its character n-grams).
    /// </summary>
    public IReadOnlyList<(string Phrase, double Weight)> StrongestPhrases(string sentence, int count)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var folded = TextNormalizer.Normalize(sentence);
        var words = new List<(int Start, int Length, uint Hash, double Weight)>();
        for (var i = 0; i < folded.Length;)
        {
            var start = i;
            if (Featurizer.IsSymbol(folded[i]))
            {
                i++;
            }
            else if (TextNormalizer.IsWord(folded[i]))
            {
                while (i < folded.Length && TextNormalizer.IsWord(folded[i]))
                {
                    i++;
                }
            }
            else
            {
                i++;
                continue;
            }

            var word = folded.AsSpan(start, i - start);
            var sink = new WeightSum(Weights);
            Featurizer.VisitFolded(word, Bits, ref sink);
            words.Add((start, i - start, Featurizer.WordHash(word), sink.Sum));
        }

        var candidates = new List<(int First, int Last, double Weight)>();
        for (var w = 0; w < words.Count; w++)
        {
            candidates.Add((w, w, words[w].Weight));
            if (w > 0)
            {
                var pair = Weights[Featurizer.BucketOf(Featurizer.BigramHash(words[w - 1].Hash, words[w].Hash), Bits)];
                candidates.Add((w - 1, w, pair + words[w - 1].Weight + words[w].Weight));
            }
        }

        var used = new bool[words.Count];
        var result = new List<(string, double)>();
        foreach (var (first, last, weight) in candidates.OrderByDescending(c => c.Weight).ThenBy(c => c.First))
        {
            if (result.Count == count || weight <= 0)
            {
                break;
            }

            if (used[first] || used[last])
            {
                continue;
            }

            used[first] = used[last] = true;
            var from = words[first].Start;
            var to = words[last].Start + words[last].Length;
            result.Add((folded[from..to].Replace('0', '#').Replace('\n', ' '), Math.Round(weight, 2)));
        }

        return result;
    }

    public static MarketingModel Load(ReadOnlySpan<byte> file)
    {
        if (file.Length < HeaderSize || !file[..4].SequenceEqual("CGMM"u8))
        {
            throw new InvalidDataException("not a CommsGateway marketing model (magic CGMM expected)");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(file[4..]);
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"model format version {version}, this build reads {FormatVersion}");
        }

        var bits = BinaryPrimitives.ReadInt32LittleEndian(file[8..]);
        if (bits is < 10 or > 22 || file.Length != HeaderSize + (4 << bits))
        {
            throw new InvalidDataException($"model of {file.Length} bytes does not hold 2^{bits} weights");
        }

        var bias = BinaryPrimitives.ReadSingleLittleEndian(file[12..]);
        var thresholds = new ModelThresholds(
            BinaryPrimitives.ReadDoubleLittleEndian(file[16..]),
            BinaryPrimitives.ReadDoubleLittleEndian(file[24..]),
            (RulePush)file[32],
            (RulePush)file[33],
            BinaryPrimitives.ReadDoubleLittleEndian(file[72..]),
            BinaryPrimitives.ReadDoubleLittleEndian(file[80..]));
        var messages = BinaryPrimitives.ReadInt32LittleEndian(file[36..]);
        var sha = file.Slice(40, 32).ToArray();
        var weights = new float[1 << bits];
        var body = file[HeaderSize..];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(body).CopyTo(weights);
        }
        else
        {
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = BinaryPrimitives.ReadSingleLittleEndian(body[(i * 4)..]);
            }
        }

        return new MarketingModel(bits, bias, weights, thresholds, messages, sha);
    }

    public byte[] ToBytes()
    {
        var file = new byte[HeaderSize + (4 << Bits)];
        var span = file.AsSpan();
        "CGMM"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Bits);
        BinaryPrimitives.WriteSingleLittleEndian(span[12..], Bias);
        BinaryPrimitives.WriteDoubleLittleEndian(span[16..], Thresholds.ReviewFrom);
        BinaryPrimitives.WriteDoubleLittleEndian(span[24..], Thresholds.MarketingFrom);
        span[32] = (byte)Thresholds.StrongRules;
        span[33] = (byte)Thresholds.WeakRules;
        BinaryPrimitives.WriteInt32LittleEndian(span[36..], TrainingMessages);
        CorpusSha256.ToArray().CopyTo(span[40..]);
        BinaryPrimitives.WriteDoubleLittleEndian(span[72..], Thresholds.SentenceWeight);
        BinaryPrimitives.WriteDoubleLittleEndian(span[80..], Thresholds.SentenceOffset);
        for (var i = 0; i < Weights.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[(HeaderSize + (i * 4))..], Weights[i]);
        }

        return file;
    }

    /// <summary>The logistic with <see cref="Exp"/>, so training and scoring agree to the bit on every platform.</summary>
    public static double Sigmoid(double z) => 1.0 / (1.0 + Exp(-z));

    /// <summary>
    /// e^x from IEEE operations only (range reduction by ln 2, then a degree-12 Taylor polynomial, relative error
    /// below 1e-14): Math.Exp comes from the C runtime and may differ in the last bit between platforms.
    /// </summary>
    internal static double Exp(double x)
    {
        x = Math.Clamp(x, -700.0, 700.0);
        var k = Math.Round(x * 1.4426950408889634);
        var r = x - (k * 0.6931471805599453);
        // Horner from the degree-12 term down: 1/n! for n = 12 .. 0.
        var p = 1.0 / 479001600;
        foreach (var c in InverseFactorials)
        {
            p = (p * r) + c;
        }

        return p * BitConverter.Int64BitsToDouble((long)(k + 1023) << 52);
    }

    private static readonly double[] InverseFactorials =
        [1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1.0, 1.0];

    /// <summary>
    /// Feature values are occurrence counts over √(occurrences in the text scored): long letters do not win by length,
    /// and the sums of one pass still give the whole message (Σ sums · 1/√Σ counts) and each sentence.
    /// </summary>
    internal static double Scale(int count) => count == 0 ? 0 : 1.0 / Math.Sqrt(count);

    /// <summary>A candidate's folded sentence with the breaks around it: what the rules read for that sentence alone.</summary>
    private static ReadOnlySpan<char> Slot(ReadOnlySpan<char> folded, in Best candidate) => folded.Slice(candidate.Folded - 1, candidate.FoldedLength + 2);

    private void Consider(in Best candidate, TextScore rules, ref Best best)
    {
        var logit = candidate.Logit + RuleSum(rules.Fired);
        if (logit > best.Logit)
        {
            best = candidate with { Logit = logit };
        }
    }

    /// <summary>Folds each sentence of <paramref name="text"/> into <paramref name="folded"/> at <paramref name="used"/> (then a break), sums its features, offers it as a candidate.</summary>
    private (float Sum, int Count) Part(ReadOnlySpan<char> text, MessagePart part, Span<char> folded, ref int used, ref Candidates top)
    {
        var total = 0f;
        var features = 0;
        var from = 0;
        while (Sentences.Next(text, ref from, out var start, out var length))
        {
            var n = TextNormalizer.Normalize(text.Slice(start, length), folded[used..]);
            var sink = new WeightSum(Weights);
            var count = Featurizer.VisitFolded(folded.Slice(used, n), Bits, ref sink);
            total += sink.Sum;
            features += count;
            top.Offer(new Best { Logit = Bias + (sink.Sum * Scale(count)), Part = part, Start = start, Length = length, Folded = used, FoldedLength = n });
            used += n;
            folded[used++] = TextNormalizer.Break;
        }

        return (total, features);
    }

    /// <summary>The weights of the keyword rules that fired (each rule is one feature of value 1).</summary>
    internal double RuleSum(ulong fired)
    {
        var sum = 0.0;
        while (fired != 0)
        {
            sum += Weights[Featurizer.RuleBucket(System.Numerics.BitOperations.TrailingZeroCount(fired), Bits)];
            fired &= fired - 1;
        }

        return sum;
    }

    private static MarketingModel LoadShipped()
    {
        using var stream = typeof(MarketingModel).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the marketing model is not embedded ({ResourceName}): run `commsgw classify train` and rebuild");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Load(bytes);
    }

    /// <summary>The sentences with the highest word scores, best first (a fixed inline array: nothing allocated).</summary>
    private struct Candidates
    {
        public const int Size = 3;
        private Best first;
        private Best second;
        private Best third;

        public readonly Best this[int i] => i switch { 0 => first, 1 => second, _ => third };

        public void Offer(Best candidate)
        {
            if (first.Part == MessagePart.None || candidate.Logit > first.Logit)
            {
                (first, second, third) = (candidate, first, second);
            }
            else if (second.Part == MessagePart.None || candidate.Logit > second.Logit)
            {
                (second, third) = (candidate, second);
            }
            else if (third.Part == MessagePart.None || candidate.Logit > third.Logit)
            {
                third = candidate;
            }
        }
    }

    private record struct Best
    {
        public double Logit;
        public MessagePart Part;
        public int Start;
        public int Length;

        /// <summary>Where the folded sentence starts in the folded buffer (a break before it and after it).</summary>
        public int Folded;
        public int FoldedLength;
    }

    private struct WeightSum(float[] weights) : IFeatureSink
    {
        private readonly float[] weights = weights;

        public float Sum { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(int bucket) => Sum += weights[bucket];
    }
}

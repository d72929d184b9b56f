namespace CommsGateway.Core.Classification.Model;

/// <summary>How the model is trained; the defaults are the shipped model's.</summary>
public sealed record TrainingOptions
{
    public int Bits { get; init; } = 18;

    public int Epochs { get; init; } = 20;

    public double LearningRate { get; init; } = 0.2;

    public double L2 { get; init; } = 1e-5;

    /// <summary>Each sentence of a service message is a service example too (true by definition), with this total weight per message.</summary>
    public double ServiceSentenceWeight { get; init; } = 1.0;

    /// <summary>After a first pass, each marketing message's most marketing sentence is added as a marketing example.</summary>
    public bool MarketingTopSentence { get; init; }

    public ulong Seed { get; init; } = 0x5EED_C0DE;
}

/// <summary>A corpus message read once: its text as the patient sees it, its sentences' features, the rules' score.</summary>
internal sealed class FeaturedMessage
{
    public required CorpusMessage Message { get; init; }

    public required string Subject { get; init; }

    public required string Body { get; init; }

    public required TextScore Rules { get; init; }

    public double RuleScore => Rules.Score;

    /// <summary>Per sentence (subject first): sorted distinct buckets and their counts.</summary>
    public required IReadOnlyList<SparseVector> Sentences { get; init; }

    public required SparseVector Whole { get; init; }

    public static FeaturedMessage Of(CorpusMessage message, int bits)
    {
        var subject = ModelText.Reveal(message.Subject, isHtml: false);
        var body = ModelText.Reveal(message.Body, isHtml: false);
        var sentences = new List<SparseVector>();
        var all = new List<int>();
        foreach (var text in (string[])[subject, body])
        {
            var from = 0;
            while (Model.Sentences.Next(text, ref from, out var start, out var length))
            {
                var sink = new Collect(new List<int>());
                var sentence = text.AsSpan(start, length);
                Featurizer.Visit(sentence, bits, ref sink);
                all.AddRange(sink.Buckets);
                sentences.Add(SparseVector.Of(sink.Buckets, Normalise(sink.Buckets.Count), RuleBuckets(ClassifierEngine.Shared.ScoreRevealed(default, sentence, default, campaignLinkInMarkup: false).Fired, bits)));
            }
        }

        var rules = ClassifierEngine.Shared.Score(message.Subject, message.Body, null, []);
        return new FeaturedMessage
        {
            Message = message,
            Subject = subject,
            Body = body,
            Rules = rules,
            Sentences = sentences,
            Whole = SparseVector.Of(all, Normalise(all.Count), RuleBuckets(rules.Fired, bits)),
        };
    }

    private static List<int> RuleBuckets(ulong fired, int bits)
    {
        var buckets = new List<int>();
        for (; fired != 0; fired &= fired - 1)
        {
            buckets.Add(Featurizer.RuleBucket(System.Numerics.BitOperations.TrailingZeroCount(fired), bits));
        }

        return buckets;
    }

    private static float Normalise(int count) => (float)MarketingModel.Scale(count);

    private readonly struct Collect(List<int> buckets) : IFeatureSink
    {
        public List<int> Buckets { get; } = buckets;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Add(int bucket) => Buckets.Add(bucket);
    }
}

/// <summary>Distinct buckets in increasing order with their values: occurrence counts scaled by 1/√(occurrences), plus one per rule fired.</summary>
internal sealed record SparseVector(int[] Buckets, float[] Counts)
{
    /// <param name="ones">Features of value 1 whatever the scale (the rules that fired).</param>
    public static SparseVector Of(List<int> occurrences, float scale, List<int> ones)
    {
        var values = new SortedDictionary<int, float>();
        foreach (var b in occurrences)
        {
            values[b] = values.GetValueOrDefault(b) + scale;
        }

        foreach (var b in ones)
        {
            values[b] = values.GetValueOrDefault(b) + 1;
        }

        return new SparseVector([.. values.Keys], [.. values.Values]);
    }
}

/// <summary>
/// L2-regularised logistic regression by AdaGrad, written out (≈ 100 lines) rather than taken from ML.NET:
/// single thread, fixed example order from a seeded xorshift, IEEE-only arithmetic (<see cref="MarketingModel.Exp"/>),
/// so the same corpus gives the same model file, byte for byte, on every machine. Classes are balanced by weight.
/// </summary>
internal static class ModelTrainer
{
    public static MarketingModel Train(IReadOnlyList<FeaturedMessage> messages, TrainingOptions options, ModelThresholds thresholds, byte[] corpusSha256)
    {
        var examples = new List<(SparseVector X, bool Marketing, double Weight)>();
        var service = messages.Count(m => !m.Message.IsMarketing);
        var marketing = messages.Count - service;
        if (service == 0 || marketing == 0)
        {
            throw new InvalidOperationException($"training needs both classes ({marketing} marketing, {service} service)");
        }

        var serviceTotal = 0.0;
        foreach (var m in messages.Where(m => !m.Message.IsMarketing))
        {
            examples.Add((m.Whole, false, 1.0));
            serviceTotal += 1.0;
            if (options.ServiceSentenceWeight > 0 && m.Sentences.Count > 1)
            {
                var each = options.ServiceSentenceWeight / m.Sentences.Count;
                foreach (var s in m.Sentences)
                {
                    examples.Add((s, false, each));
                }

                serviceTotal += options.ServiceSentenceWeight;
            }
        }

        var marketingWeight = serviceTotal / marketing;
        foreach (var m in messages.Where(m => m.Message.IsMarketing))
        {
            examples.Add((m.Whole, true, marketingWeight));
        }

        var size = 1 << options.Bits;
        var w = new double[size];
        var g2 = new double[size];
        var bias = new double[2];
        Fit(examples, options, w, g2, bias);

        if (options.MarketingTopSentence)
        {
            var tops = new List<(SparseVector X, bool Marketing, double Weight)>();
            foreach (var m in messages.Where(m => m.Message.IsMarketing && m.Sentences.Count > 1))
            {
                var top = m.Sentences.MaxBy(s => Dot(s, w))!;
                tops.Add((top, true, marketingWeight * 0.5));
            }

            examples.AddRange(tops);
            Array.Clear(w);
            Array.Clear(g2);
            Array.Clear(bias);
            Fit(examples, options, w, g2, bias);
        }

        var weights = new float[size];
        for (var i = 0; i < size; i++)
        {
            weights[i] = (float)w[i];
        }

        return new MarketingModel(options.Bits, (float)bias[0], weights, thresholds, messages.Count, corpusSha256);
    }

    private static void Fit(List<(SparseVector X, bool Marketing, double Weight)> examples, TrainingOptions options, double[] w, double[] g2, double[] bias)
    {
        var order = Enumerable.Range(0, examples.Count).ToArray();
        var state = options.Seed | 1;
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            for (var i = order.Length - 1; i > 0; i--)
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                var j = (int)(state % (ulong)(i + 1));
                (order[i], order[j]) = (order[j], order[i]);
            }

            foreach (var index in order)
            {
                var (x, marketing, weight) = examples[index];
                var p = MarketingModel.Sigmoid(bias[0] + Dot(x, w));
                var error = (p - (marketing ? 1.0 : 0.0)) * weight;
                for (var k = 0; k < x.Buckets.Length; k++)
                {
                    var b = x.Buckets[k];
                    var grad = (error * x.Counts[k]) + (options.L2 * w[b]);
                    g2[b] += grad * grad;
                    w[b] -= options.LearningRate * grad / Math.Sqrt(g2[b] + 1e-12);
                }

                bias[1] += error * error;
                bias[0] -= options.LearningRate * error / Math.Sqrt(bias[1] + 1e-12);
            }
        }
    }

    private static double Dot(SparseVector x, double[] w)
    {
        var sum = 0.0;
        for (var k = 0; k < x.Buckets.Length; k++)
        {
            sum += w[x.Buckets[k]] * x.Counts[k];
        }

        return sum;
    }
}

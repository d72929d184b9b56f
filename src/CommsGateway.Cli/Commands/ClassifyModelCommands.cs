using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Classification.Model;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// `commsgw classify train` and `commsgw classify evaluate`: the marketing model from the labelled corpus in
/// data/classifier (found by walking up from the current directory, or --corpus). Training is deterministic: the
/// same corpus writes the same model.bin, byte for byte.
/// </summary>
internal static class ClassifyModelCommands
{
    public static Command Train()
    {
        var corpus = CorpusOption();
        var output = new Option<string?>("--out") { Description = "Model file to write (default: <corpus>/model.bin)" };
        var command = new Command("train", "Rebuild the marketing model from the corpus; print the cross-validation table and thresholds") { corpus, output };
        command.SetAction(parse =>
        {
            if (!TryCorpus(parse.GetValue(corpus), out var directory, out var files))
            {
                return 2;
            }

            var clock = Stopwatch.StartNew();
            var (model, evaluation) = ModelEvaluation.TrainAndEvaluate(files);
            var bytes = model.ToBytes();
            var path = parse.GetValue(output) ?? Path.Combine(directory, "model.bin");
            File.WriteAllBytes(path, bytes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {path}: {bytes.Length:N0} bytes, 2^{model.Bits} weights, {model.TrainingMessages} training messages, corpus sha256 {Convert.ToHexStringLower([.. model.CorpusSha256])} ({clock.Elapsed.TotalSeconds:0.0} s)"));
            Console.WriteLine();
            Console.Write(evaluation.ToMarkdown());
            return 0;
        });
        return command;
    }

    public static Command Evaluate()
    {
        var corpus = CorpusOption();
        var details = new Option<bool>("--details") { Description = "Also print each training message the cross-validation did not answer right (out of fold)" };
        var all = new Option<bool>("--all") { Description = "With --details: print every training message, right or not" };
        var l2 = new Option<double?>("--l2") { Description = "Try another L2 penalty (the shipped model keeps its own)" };
        var epochs = new Option<int?>("--epochs") { Description = "Try another number of epochs" };
        var rate = new Option<double?>("--learning-rate") { Description = "Try another AdaGrad learning rate" };
        var sentences = new Option<double?>("--service-sentences") { Description = "Try another weight for the sentences of service messages (0: none)" };
        var top = new Option<bool?>("--top-sentence") { Description = "Try adding each marketing message's top sentence as an example" };
        var bits = new Option<int?>("--bits") { Description = "Try another hash space (bits)" };
        var command = new Command("evaluate", "Print grouped cross-validation, the independent-author estimate and the held-out figures as a Markdown table")
        {
            corpus, details, all, l2, epochs, rate, sentences, top, bits,
        };
        command.SetAction(parse =>
        {
            if (!TryCorpus(parse.GetValue(corpus), out _, out var files))
            {
                return 2;
            }

            var defaults = new TrainingOptions();
            var options = defaults with
            {
                L2 = parse.GetValue(l2) ?? defaults.L2,
                Epochs = parse.GetValue(epochs) ?? defaults.Epochs,
                LearningRate = parse.GetValue(rate) ?? defaults.LearningRate,
                ServiceSentenceWeight = parse.GetValue(sentences) ?? defaults.ServiceSentenceWeight,
                MarketingTopSentence = parse.GetValue(top) ?? defaults.MarketingTopSentence,
                Bits = parse.GetValue(bits) ?? defaults.Bits,
            };
            var (model, evaluation) = ModelEvaluation.TrainAndEvaluate(files, options);
            Console.Write(evaluation.ToMarkdown());
            if (parse.GetValue(details))
            {
                Console.WriteLine();
                foreach (var r in evaluation.OutOfFold.Where(r => parse.GetValue(all) || r.Verdict != (r.Message.IsMarketing ? ContentVerdict.Marketing : ContentVerdict.Service)).OrderBy(r => r.Message.IsMarketing).ThenBy(r => r.Probability))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{r.Message.Id}\t{(r.Message.IsMarketing ? "marketing" : "service")}\t{r.Verdict}\tp={r.Probability:0.000} whole={r.MessageProbability:0.000} rules={r.RuleScore:0.0}\t{r.Message.Kind ?? r.Message.Note}\t{r.Sentence}"));
                }
            }

            if (!IsShipped(model))
            {
                Console.WriteLine();
                Console.WriteLine("warning: the model built into this commsgw is not the one this corpus trains: run `commsgw classify train` and rebuild");
            }

            return 0;
        });
        return command;
    }

    private static bool IsShipped(MarketingModel model)
    {
        try
        {
            return model.ToBytes().AsSpan().SequenceEqual(MarketingModel.Default.ToBytes());
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static Option<string?> CorpusOption() =>
        new("--corpus") { Description = "Directory of the labelled corpus (default: data/classifier in the repository above the current directory)" };

    private static bool TryCorpus(string? given, out string directory, out List<CorpusFile> files)
    {
        files = [];
        directory = given ?? Find(Directory.GetCurrentDirectory()) ?? "";
        if (directory.Length == 0 || !Directory.Exists(directory))
        {
            Console.Error.WriteLine(given is null
                ? "no data/classifier directory in the current directory or above it: run from the repository or pass --corpus"
                : $"corpus directory '{given}' does not exist");
            return false;
        }

        files = [.. Directory.GetFiles(directory, "*.jsonl").Order(StringComparer.Ordinal).Select(f => new CorpusFile(Path.GetFileName(f), File.ReadAllText(f)))];
        if (files.Count == 0)
        {
            Console.Error.WriteLine($"no *.jsonl corpus file in {directory}");
            return false;
        }

        return true;
    }

    private static string? Find(string from)
    {
        for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "classifier");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

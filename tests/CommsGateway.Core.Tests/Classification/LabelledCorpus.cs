using System.Globalization;
using System.Text;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Classification;

namespace CommsGateway.Core.Tests.Classification;

/// <summary>One labelled message of a JSON Lines corpus (fields id, lang, channel, declared, subject, body, label, note).</summary>
public sealed record LabelledMessage(string Id, string Lang, string Channel, string Declared, string? Subject, string Body, string Label, string? Note)
{
    public Purpose Expected => Label == "marketing" ? Purpose.Marketing : Purpose.Service;

    public Channel ChannelValue => Enum.TryParse<Channel>(Channel, ignoreCase: true, out var value) ? value : Contracts.Channel.Unknown;
}

/// <summary>Loads corpora and scores the classifier on them: the confusion matrix a DPO can read.</summary>
public static class LabelledCorpus
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<LabelledMessage> Load(string path) =>
        [.. File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => JsonSerializer.Deserialize<LabelledMessage>(l, Json)!)];

    /// <summary>
    /// The shared corpus lives beside the clone: walk up to the directory holding CommsGateway.sln, then ../shared.
    /// A git worktree nested deeper (wt/name) looks further up for the same shared/ folder.
    /// </summary>
    public static string SharedCorpus(string file)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CommsGateway.sln")))
        {
            directory = directory.Parent;
        }

        var root = directory ?? throw new InvalidOperationException($"No CommsGateway.sln above {AppContext.BaseDirectory}");
        for (var parent = root.Parent; parent is not null; parent = parent.Parent)
        {
            var candidate = Path.Combine(parent.FullName, "shared", "corpus", file);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"shared/corpus/{file} not found beside {root.FullName} or above it");
    }

    public static ConfusionMatrix Evaluate(IEnumerable<LabelledMessage> messages, ContentClassifier classifier)
    {
        var matrix = new ConfusionMatrix();
        foreach (var message in messages)
        {
            var result = classifier.Classify(message.Subject, message.Body, null, null, message.ChannelValue, message.Lang);
            matrix.Add(message, result);
        }

        return matrix;
    }
}

public sealed class ConfusionMatrix
{
    private readonly List<(LabelledMessage Message, CommsGateway.Core.Classification.Classification Result)> errors = [];
    private readonly List<(LabelledMessage Message, CommsGateway.Core.Classification.Classification Result)> all = [];

    public int MarketingAsMarketing { get; private set; }
    public int MarketingAsService { get; private set; }
    public int ServiceAsService { get; private set; }
    public int ServiceAsMarketing { get; private set; }

    public double MarketingRecall => Ratio(MarketingAsMarketing, MarketingAsMarketing + MarketingAsService);

    /// <summary>Share of service messages answered service (neither marketing nor review).</summary>
    public double ServiceAccuracy => Ratio(ServiceAsService, ServiceAsService + ServiceAsMarketing + ServiceReviewed);

    public double Accuracy => Ratio(MarketingAsMarketing + ServiceAsService, MarketingAsMarketing + MarketingAsService + ServiceAsService + ServiceAsMarketing);

    /// <summary>Messages answered review (held for a person): caught when marketing, not called marketing when service.</summary>
    public int Reviewed { get; private set; }

    /// <summary>Share of service messages answered marketing (review excluded: a person decides those).</summary>
    public double ServiceCalledMarketing => ServiceAsService + ServiceAsMarketing + ServiceReviewed == 0 ? 0 : (double)ServiceAsMarketing / (ServiceAsService + ServiceAsMarketing + ServiceReviewed);

    public double ReviewRate => Ratio(Reviewed, MarketingAsMarketing + MarketingAsService + ServiceAsService + ServiceAsMarketing + ServiceReviewed);

    private int ServiceReviewed { get; set; }

    /// <summary>Marketing is caught when answered marketing or review; service is right only when answered service.</summary>
    public void Add(LabelledMessage message, CommsGateway.Core.Classification.Classification result)
    {
        all.Add((message, result));
        var review = result.Verdict == ContentVerdict.Review;
        Reviewed += review ? 1 : 0;
        switch (message.Expected, result.Verdict)
        {
            case (Purpose.Marketing, ContentVerdict.Marketing or ContentVerdict.Review): MarketingAsMarketing++; break;
            case (Purpose.Marketing, _): MarketingAsService++; errors.Add((message, result)); break;
            case (_, ContentVerdict.Service): ServiceAsService++; break;
            case (_, ContentVerdict.Review): ServiceReviewed++; errors.Add((message, result)); break;
            default: ServiceAsMarketing++; errors.Add((message, result)); break;
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine("                   predicted marketing | predicted service");
        text.AppendLine(c, $"label marketing    {MarketingAsMarketing,19} | {MarketingAsService,17}");
        text.AppendLine(c, $"label service      {ServiceAsMarketing,19} | {ServiceAsService,17}");
        text.AppendLine(c, $"service answered review {ServiceReviewed}; review rate {ReviewRate:0.000}");
        text.AppendLine(c, $"marketing caught (marketing or review) {MarketingRecall:0.000}, service called marketing {ServiceCalledMarketing:0.000}, service answered service {ServiceAccuracy:0.000}");
        foreach (var (message, result) in errors)
        {
            text.AppendLine(c, $"  MISS {message.Id} label={message.Label} verdict={result.Verdict} p={result.Probability:0.000} rules={result.Score:0.00} signals=[{string.Join("; ", result.Signals)}] note={message.Note}");
        }

        return text.ToString();
    }

    /// <summary>Every message with its score and signals: what a DPO reviews.</summary>
    public string Details()
    {
        var text = new StringBuilder();
        foreach (var (message, result) in all)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{message.Id,-8} {message.Label,-9} -> {result.Verdict,-9} p={result.Probability:0.000} rules={result.Score,5:0.00} {string.Join("; ", result.Signals)}");
        }

        return text.ToString();
    }

    private static double Ratio(int a, int b) => b == 0 ? 1 : (double)a / b;
}

using CommsGateway.Contracts;

namespace CommsGateway.Core.Classification;

/// <summary>
/// The classifier's verdict: purpose, score, and the signals that fired (explainable to a DPO).
/// Each signal reads "rule@where: \"keyword\"" (where = subject, body, html, blocks[i]); a '#' in a keyword
/// stands for any number. The message text itself is never copied into a signal.
/// </summary>
public sealed record Classification(Purpose Purpose, double Score, IReadOnlyList<string> Signals)
{
    /// <summary>
    /// Three answers, not two: service, marketing, or review (unsure: the intent is held for a person).
    /// <see cref="Purpose"/> stays the purpose the policy applies once a verdict is known; for
    /// <see cref="ContentVerdict.Review"/> it is Marketing (the safe side) but the pipeline holds the intent instead.
    /// </summary>
    public ContentVerdict Verdict { get; init; } = Purpose == Purpose.Marketing ? ContentVerdict.Marketing : ContentVerdict.Service;

    /// <summary>The learned model's probability that the message is marketing (the highest of the whole message and its sentences).</summary>
    public double Probability { get; init; }

    /// <summary>
    /// The sentence that made the message most marketing (or unsure), as the patient sees it. Kept in memory for the
    /// explanation and the review queue only: the decision log never stores message text.
    /// </summary>
    public string? Sentence { get; init; }

    /// <summary>Plain-words reasons a marketer understands ("'Want one?' offers a place in a class: a solicitation").</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>Marketing found in the unstructured text (subject, body, HTML), outside any content block.</summary>
    public bool MarketingInText { get; init; }

    /// <summary>Per content block, in order: what the producer marked it, and what its content is.</summary>
    public IReadOnlyList<BlockClassification> Blocks { get; init; } = [];

    /// <summary>
    /// True when marketing would remain after removing the blocks the producer marked marketing:
    /// marketing in the unstructured text, or in a block marked service. The policy blocks such a
    /// "service" message instead of sending it with the marketing blocks stripped.
    /// </summary>
    public bool MarketingOutsideMarkedBlocks => MarketingInText || Blocks.Any(b => b.Declared != Purpose.Marketing && b.ContentIsMarketing);

    /// <summary>Health details found in an SMS or WhatsApp body (diagnosis, test result, medication with a condition): the policy warns.</summary>
    public IReadOnlyList<string> HealthDetails { get; init; } = [];
}

/// <summary>The classifier's three answers.</summary>
public enum ContentVerdict
{
    Service,
    Marketing,
    /// <summary>Unsure: neither sent nor blocked; held until a person (or a remembered template verdict) settles it.</summary>
    Review,
}

/// <summary>One content block: the producer's marking, the content's own verdict, and why.</summary>
public sealed record BlockClassification(int Index, Purpose Declared, bool ContentIsMarketing, double Score, IReadOnlyList<string> Signals)
{
    /// <summary>Marketing if marked so (a marketing claim is believed) or if its content is marketing (a service claim is not).</summary>
    public bool IsMarketing => Declared == Purpose.Marketing || ContentIsMarketing;
}

/// <summary>The verdict on a text alone (no blocks): whether it is marketing, its score and explained signals.</summary>
public sealed record TextClassification(bool IsMarketing, double Score, IReadOnlyList<string> Signals);

namespace CommsGateway.Features.Console.Review;

/// <summary>A text cut around the sentence that made the classifier unsure, so the page can mark it (<c>&lt;mark&gt;</c>).</summary>
public sealed record Highlight(string Before, string? Marked, string After)
{
    /// <summary>The text cut at the sentence's first occurrence; the whole text unmarked when the sentence is absent.</summary>
    public static Highlight Of(string text, string? sentence)
    {
        ArgumentNullException.ThrowIfNull(text);
        var at = sentence is { Length: > 0 } ? text.IndexOf(sentence, StringComparison.Ordinal) : -1;
        return at < 0 ? new Highlight(text, null, "") : new Highlight(text[..at], sentence, text[(at + sentence!.Length)..]);
    }
}

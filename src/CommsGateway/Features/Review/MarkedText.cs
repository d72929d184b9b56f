namespace CommsGateway.Features.Review;

/// <summary>
/// A message cut around the sentence that made the classifier unsure, so a page can mark it. Cut before masking: the
/// masks read context (a time's full stop ends a sentence only in the clear text), so the parts are masked one by one.
/// </summary>
public sealed record MarkedText(string Before, string? Sentence, string After)
{
    /// <summary>The text cut at the sentence's first occurrence (the whole text, unmarked, when it is absent), each part through <paramref name="mask"/>.</summary>
    public static MarkedText Of(string text, string? sentence, Func<string, string>? mask = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        mask ??= part => part;
        var at = sentence is { Length: > 0 } ? text.IndexOf(sentence, StringComparison.Ordinal) : -1;
        return at < 0
            ? new MarkedText(mask(text), null, "")
            : new MarkedText(mask(text[..at]), mask(sentence!), mask(text[(at + sentence!.Length)..]));
    }
}

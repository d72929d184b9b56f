namespace CommsGateway.Core.Consent;

/// <summary>
/// Bounds of the evidence kept with a consent event. The ledger is append-only and kept for years: evidence is
/// proof (which form, which wording, who captured it), not storage, so an oversized one is refused, not truncated.
/// </summary>
public static class ConsentEvidenceLimits
{
    /// <summary>UTF-8 bytes of every evidence field, extra's keys and values included.</summary>
    public const int MaxBytes = 8 * 1024;

    public const int MaxExtraKeys = 64;

    public const int MaxKeyLength = 64;

    /// <summary>Nesting depth of the evidence object: evidence (1), extra (2), a string value (3); nothing deeper is read.</summary>
    public const int MaxDepth = 4;

    /// <summary>Every limit the evidence breaks, naming it.</summary>
    public static IReadOnlyList<ConsentError> Check(ConsentEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var errors = new List<ConsentError>();
        var extra = evidence.Extra ?? new Dictionary<string, string>();
        if (extra.Count > MaxExtraKeys)
        {
            errors.Add(new(ConsentErrorCodes.EvidenceTooLarge, $"evidence.extra has {extra.Count} keys; the limit is {MaxExtraKeys}"));
        }

        if (extra.Keys.FirstOrDefault(k => k.Length > MaxKeyLength || Validation.Identifiers.FirstForbidden(k) is not null) is { } badKey)
        {
            errors.Add(new(ConsentErrorCodes.EvidenceTooLarge,
                $"evidence.extra keys are at most {MaxKeyLength} characters without control, bidi or zero-width characters ('{badKey[..Math.Min(badKey.Length, 20)]}...')"));
        }

        long bytes = 0;
        foreach (var text in new[] { evidence.Source, evidence.WordingVersion, evidence.WordingSha256, evidence.CapturedBy, evidence.FormUrl, evidence.Ip, evidence.UserAgent })
        {
            bytes += System.Text.Encoding.UTF8.GetByteCount(text ?? "");
        }

        foreach (var (key, value) in extra)
        {
            bytes += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value ?? "");
            if (bytes > 100 * MaxBytes)
            {
                break; // far over already: no need to count 200,000 keys
            }
        }

        if (bytes > MaxBytes)
        {
            errors.Add(new(ConsentErrorCodes.EvidenceTooLarge, $"evidence is {(bytes > 100 * MaxBytes ? "over " : "")}{bytes} bytes; the limit is {MaxBytes} bytes"));
        }

        return errors;
    }
}

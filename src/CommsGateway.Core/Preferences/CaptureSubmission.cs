using CommsGateway.Core.Consent;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Preferences;

/// <summary>The boxes a patient ticked on a capture form, or why the whole submission is refused.</summary>
public sealed record CaptureSubmission(IReadOnlyList<ConsentItem> Items, IReadOnlyList<ConsentError> Errors)
{
    public bool Ok => Errors.Count == 0;

    /// <summary>
    /// One box is one item (a purpose on one channel, or photo use in one placement): a value standing for several
    /// (a list, a bare purpose, "all") is a bundled consent and refuses the whole submission (GDPR recital 43: separate
    /// consent for separate purposes). A ticked box must come with the wording version shown for it, the current one.
    /// </summary>
    public static CaptureSubmission Parse(IEnumerable<string?> ticked, IReadOnlyDictionary<string, string?> shownVersions, UnsubscribeLocale locale,
        WordingSet? wordings = null)
    {
        ArgumentNullException.ThrowIfNull(ticked);
        wordings ??= WordingSet.Defaults;
        ArgumentNullException.ThrowIfNull(shownVersions);
        var items = new List<ConsentItem>();
        var errors = new List<ConsentError>();
        foreach (var value in ticked.Select(v => v?.Trim() ?? ""))
        {
            if (ConsentItem.Parse(value) is { } item)
            {
                var wording = wordings.For(item, locale);
                if (!shownVersions.TryGetValue(item.Key, out var shown) || !string.Equals(shown, wording.Version, StringComparison.Ordinal))
                {
                    errors.Add(new(ConsentErrorCodes.EvidenceMissing, $"{item.Key}: the wording shown is not the current one ({wording.Version})"));
                }
                else if (!items.Contains(item))
                {
                    items.Add(item);
                }

                continue;
            }

            var parts = value.Split([',', ';', '|', '+', ' '], StringSplitOptions.RemoveEmptyEntries);
            var bundled = parts.Length > 1
                || ConsentNames.ParsePurpose(value) is not null
                || value is "all" or "*" or "everything";
            errors.Add(bundled
                ? new(ConsentErrorCodes.Bundled, $"'{Short(value)}' stands for several consents: each purpose and channel needs its own box")
                : new(ConsentErrorCodes.InvalidField, $"'{Short(value)}' is not a consent this form offers"));
        }

        return errors.Count > 0 ? new CaptureSubmission([], errors) : new CaptureSubmission(items, []);
    }

    private static string Short(string value) => value.Length > 40 ? value[..40] + "…" : value;
}

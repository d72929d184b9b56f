using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CommsGateway.Contracts;
using CommsGateway.Core.Privacy;

namespace CommsGateway.Core.Classification;

/// <summary>
/// What makes two messages "the same template": the text with what varies per patient masked (names, dates, times,
/// amounts, codes, phone numbers, emails, URLs), whitespace and case folded, then SHA-256. A reviewer's verdict on
/// one reminder then applies to every reminder of that template at the clinic. Masking errs towards masking too
/// much (any capitalised word inside a sentence reads as a name): two texts that differ only there are still the
/// same template, and the masked text holds no personal data, so it can be exported as a training example.
/// </summary>
public static partial class TemplateKey
{
    /// <summary>Stands for any masked value; runs of them collapse into one ("on 5 April at 9am" = "on 12/03 at 14:30").</summary>
    public const string Placeholder = "◊";

    [GeneratedRegex(@"\b(?:https?://|www\.)\S+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Url();

    // Amounts with a currency on either side ("€50", "49,90 €", "50 EUR").
    [GeneratedRegex(@"(?:[€$£]\s?\d[\d\s.,]*\d|[€$£]\s?\d|\d[\d.,]*\s?(?:€|\$|£|eur\b|euros?\b|gbp\b|usd\b))", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Amount();

    // Any token holding a digit: dates (12/03, 2026-03-12), times (14:30, 9am, 9h30), codes (AB12CD), numbers.
    [GeneratedRegex(@"[\p{L}\p{N}]*\d[\p{L}\p{N}/:.\-]*", RegexOptions.CultureInvariant)]
    private static partial Regex DigitToken();

    [GeneratedRegex(@"\p{L}[\p{L}'’\-]*", RegexOptions.CultureInvariant)]
    private static partial Regex Word();

    // A placeholder run: placeholders separated only by spaces or light punctuation.
    [GeneratedRegex(@"◊(?:[\s,/\-–]*◊)+", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderRun();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

    private static readonly HashSet<string> Calendar = new(StringComparer.OrdinalIgnoreCase)
    {
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "janvier", "février", "fevrier", "mars", "avril", "mai", "juin", "juillet", "août", "aout", "septembre", "octobre", "novembre", "décembre", "decembre",
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        "am", "pm", "h",
    };

    // Words after which a capitalised word is a name even at a sentence start ("Bonjour Marie", "Dr Martin").
    private static readonly HashSet<string> NameLeads = new(StringComparer.OrdinalIgnoreCase)
    {
        "hello", "hi", "dear", "bonjour", "bonsoir", "salut", "cher", "chère", "dr", "doctor", "docteur", "mr", "mrs", "ms", "miss",
        "m", "mme", "mlle", "madame", "monsieur", "pr", "professeur",
    };

    /// <summary>The masked, folded text of a message: subject, body and content blocks (the HTML mirrors them).</summary>
    public static string Mask(string? subject, string? body, IReadOnlyList<ContentBlock>? blocks = null)
    {
        var parts = new List<string>(2 + (blocks?.Count ?? 0));
        if (!string.IsNullOrWhiteSpace(subject))
        {
            parts.Add(subject);
        }

        parts.Add(body ?? "");
        parts.AddRange(blocks?.Select(b => b?.Text).OfType<string>() ?? []);
        return Mask(string.Join("\n", parts));
    }

    /// <summary>The masked text folded (lower case, one space) as the key hashes it.</summary>
    public static string Mask(string text) => Whitespace().Replace(MaskValues(text), " ").Trim().ToLowerInvariant();

    /// <summary>
    /// The text as written, with names, dates, times, amounts, codes, phone numbers, emails and URLs replaced by
    /// <see cref="Placeholder"/> (a run of them by one): what a labelled example may keep of a patient's message.
    /// </summary>
    public static string MaskValues(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var masked = Url().Replace(text, Placeholder);
        masked = PersonalDataMask.Mask(masked).Replace(PersonalDataMask.EmailToken, Placeholder, StringComparison.Ordinal)
            .Replace(PersonalDataMask.PhoneToken, Placeholder, StringComparison.Ordinal);
        masked = Amount().Replace(masked, Placeholder);
        masked = DigitToken().Replace(masked, Placeholder);
        masked = MaskWords(masked);
        return PlaceholderRun().Replace(masked, Placeholder);
    }

    /// <summary>SHA-256 of the masked text: the clinic's template key.</summary>
    public static byte[] Compute(string? subject, string? body, IReadOnlyList<ContentBlock>? blocks = null) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(Mask(subject, body, blocks)));

    public static byte[] Compute(MessageIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        return Compute(intent.Subject, intent.Body, intent.Blocks);
    }

    /// <summary>Calendar words, and capitalised words that are not the first of a sentence (or follow a greeting or a title).</summary>
    private static string MaskWords(string text)
    {
        var result = new StringBuilder(text.Length);
        var last = 0;
        var sentenceStart = true;
        string? previous = null;
        foreach (Match word in Word().Matches(text))
        {
            var between = text.AsSpan(last, word.Index - last);
            if (between.IndexOfAny(".!?\n:;") >= 0 && !IsAbbreviation(previous, between))
            {
                sentenceStart = true;
            }

            result.Append(between);
            var value = word.Value;
            var name = char.IsUpper(value[0]) && (!sentenceStart || (previous is not null && NameLeads.Contains(previous)));
            result.Append(name || Calendar.Contains(value) ? Placeholder : value);
            sentenceStart = false;
            previous = value;
            last = word.Index + word.Length;
        }

        result.Append(text.AsSpan(last));
        return result.ToString();
    }

    // "Dr. Martin", "M. Durand": the dot after a title does not start a sentence.
    private static bool IsAbbreviation(string? previous, ReadOnlySpan<char> between) =>
        previous is not null && NameLeads.Contains(previous) && between.Trim().SequenceEqual(".");
}

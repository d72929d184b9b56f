namespace CommsGateway.Core.Classification;

/// <summary>
/// The words a reader recognises in "FR33" or "0FF": every word of three letters or more in the marketing
/// lexicon, plus the treatments promotions name. Digits are read as letters only when they make one of
/// these words (or when a word holds several of them, see <see cref="PatientText"/>), so that codes and
/// references keep their digits.
/// </summary>
internal static class Vocabulary
{
    private const int MaxWord = 32;

    private static readonly string[] Extra =
    [
        "botox", "laser", "peeling", "peelings", "filler", "fillers", "injection", "injections", "soin", "soins", "facial", "massage",
        "offre", "offres", "offer", "offers", "sale", "sales", "solde", "soldes", "off", "free", "gratuit", "offert", "prix", "price",
        "remise", "reduction", "cadeau", "bonus", "exclusive", "exclusif", "exclusivite", "special", "speciale", "deal", "promo",
    ];

    private static readonly HashSet<string> Words = Build();

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Lookup = Words.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Whether <paramref name="word"/> (any case, accents or not), or its singular, is in the vocabulary; allocates nothing.</summary>
    public static bool Knows(ReadOnlySpan<char> word)
    {
        if (word.Length is 0 or > MaxWord)
        {
            return false;
        }

        Span<char> folded = stackalloc char[TextNormalizer.MaxLength(MaxWord)];
        var length = TextNormalizer.Normalize(word, folded);

        // A plural reads as its word ("g1fts", "0ffr3s").
        return Lookup.Contains(folded[..length]) || (length > 3 && folded[length - 1] is 's' or 'x' && Lookup.Contains(folded[..(length - 1)]));
    }

    private static HashSet<string> Build()
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        foreach (var keyword in Lexicon.Marketing.SelectMany(group => group.Keywords).Concat(Extra))
        {
            var text = TextNormalizer.Normalize(keyword.TrimEnd('*'));
            var start = 0;
            for (var i = 0; i <= text.Length; i++)
            {
                if (i < text.Length && char.IsAsciiLetterLower(text[i]))
                {
                    continue;
                }

                if (i - start >= 3)
                {
                    words.Add(text[start..i]);
                }

                start = i + 1;
            }
        }

        return words;
    }
}

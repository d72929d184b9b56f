using System.Buffers;
using CommsGateway.Contracts;

namespace CommsGateway.Core.Classification;

/// <summary>
/// Flags health details in SMS and WhatsApp bodies: a named condition or diagnosis, a test result, or a
/// medication named with a condition. Such details are special-category data (GDPR art. 9) and do not
/// belong on a lock screen or a shared phone; the policy adds a HealthDetailsFlagged warning to the
/// decision. "Your results are available in your portal" is fine; "your HbA1c is 8.1" is not.
/// </summary>
public static class HealthDetailsDetector
{
    private enum HealthKind
    {
        Condition,
        Result,
        Medication,
    }

    private static readonly (HealthKind Kind, string[] Keywords)[] Lexicon =
    [
        (HealthKind.Condition,
        [
            "diagnosed with", "diagnosis of", "diagnostic de", "diagnostique*", "atteint de", "atteinte de", "souffrez de", "suffering from",
            "diabete*", "diabetes", "diabetic", "cancer*", "tumeur*", "tumour*", "tumor*", "melanome", "melanoma", "carcinome", "carcinoma",
            "leucemie", "leukaemia", "leukemia", "lymphome", "lymphoma", "vih", "hiv", "sida", "aids", "seropositi*", "hepatite*", "hepatitis",
            "chlamydia", "syphilis", "gonorrhee", "gonorrhoea", "gonorrhea", "herpes", "hpv", "papillomavirus", "ist", "std", "sti",
            "depression", "depressive", "bipolar*", "schizophren*", "anorexi*", "boulimi*", "bulimi*", "epilep*", "alzheimer*", "parkinson*",
            "sclerose en plaques", "multiple sclerosis", "grossesse", "pregnancy", "pregnant", "enceinte", "fausse couche", "miscarriage",
            "ivg", "abortion", "avortement", "infertilit*", "hypertension", "asthma*", "asthme", "anemie", "anaemia", "anemia", "covid",
            "tuberculos*", "hypothyroid*", "hyperthyroid*", "thyroid*", "insuffisance renale", "kidney disease", "heart failure",
            "insuffisance cardiaque", "addiction", "alcoolisme", "alcoholism", "psoriasis", "endometriose", "endometriosis",
        ]),
        (HealthKind.Result,
        [
            "resultat positif", "resultats positifs", "positive result", "tested positive", "teste positif", "testee positive",
            "est positif", "est positive", "is positive", "are positive", "resultat negatif", "negative result", "tested negative",
            "your results show", "your results showed", "vos resultats montrent", "vos resultats indiquent", "results indicate",
            "taux de", "level of", "levels are", "level is", "est eleve", "est elevee", "is high", "is low", "est bas", "est basse",
            "biopsy", "biopsie", "hba0c", "psa", "glycemie", "blood sugar", "cholesterol", "ferritine", "ferritin", "anomal*",
            "abnormal", "malin", "maligne", "malignant", "benign", "benin", "benigne", "mmol", "g/l", "mg/dl", "mg/l", "ui/l",
        ]),
        (HealthKind.Medication,
        [
            "insuline", "insulin", "metformin*", "antidepress*", "antiretrovira*", "chimio*", "chemo*", "methotrexate", "isotretinoin*",
            "roaccutane", "warfarin*", "anticoagula*", "lithium", "truvada", "prep", "levothyrox*", "ventoline", "ventolin",
            "traitement hormonal", "hormone therapy", "antipsycho*", "benzodiazepin*", "opioid*", "morphine", "methadone", "subutex",
        ]),
    ];

    private static readonly KeywordAutomaton Automaton = new(
        [.. Lexicon.SelectMany(group => group.Keywords.Select(word => word.EndsWith('*')
            ? new Keyword(TextNormalizer.Normalize(word[..^1]), true, (int)group.Kind)
            : new Keyword(TextNormalizer.Normalize(word), false, (int)group.Kind)))]);

    /// <summary>The health-detail signals in an SMS or WhatsApp body ("health-condition: \"diabet\""); empty for email and when none.</summary>
    public static IReadOnlyList<string> Detect(Channel channel, string? body)
    {
        if (channel is not (Channel.Sms or Channel.WhatsApp) || string.IsNullOrEmpty(body))
        {
            return [];
        }

        var rented = ArrayPool<char>.Shared.Rent(TextNormalizer.MaxLength(body.Length));
        try
        {
            var text = rented.AsSpan(0, TextNormalizer.Normalize(body, rented));
            Span<KeywordMatch> matches = stackalloc KeywordMatch[64];
            var count = Automaton.Scan(text, matches);
            var first = new int[3] { -1, -1, -1 };
            foreach (var match in matches[..count])
            {
                var kind = Automaton.Keywords[match.Keyword].Payload;
                if (first[kind] < 0)
                {
                    first[kind] = match.Keyword;
                }
            }

            // A medication alone may be routine aftercare ("finish your antibiotics"); named with a
            // condition or a result it discloses the condition.
            var flagged = first[(int)HealthKind.Condition] >= 0 || first[(int)HealthKind.Result] >= 0;
            if (!flagged)
            {
                return [];
            }

            var signals = new List<string>(3);
            Add(signals, "health-condition", first[(int)HealthKind.Condition]);
            Add(signals, "health-result", first[(int)HealthKind.Result]);
            Add(signals, "health-medication", first[(int)HealthKind.Medication]);
            return signals;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private static void Add(List<string> signals, string id, int keyword)
    {
        if (keyword >= 0)
        {
            signals.Add($"{id}@body: \"{Automaton.Keywords[keyword].Text.Replace('0', '#')}\"");
        }
    }
}

namespace CommsGateway.Core.Classification;

/// <summary>
/// What the classifier looks for. The first group are marketing signals a compliance officer would name;
/// the second group are contexts that never score on their own but explain away a signal (the traps:
/// a discount line on a receipt, "book a new time" after the clinic cancelled, the slot the patient asked for).
/// </summary>
internal enum SignalKind
{
    // Marketing signals.
    DiscountOffered,
    PriceOffered,
    Promotion,
    FreeOffer,
    ReferralOrLoyalty,
    GiftCard,
    Event,
    Birthday,
    NewOffering,
    BookingInvitation,
    RecallSinceLastTreatment,
    TopUp,
    SlotsOnOffer,
    Scarcity,
    CrossSell,
    WordOfMouth,
    Seasonal,
    Deadline,
    Enticement,
    OfferWord,
    NewsletterFraming,
    OptOutFooter,
    CampaignLink,
    PricedOffer,

    // Contexts (weight 0): they only guard.
    Amount,
    Ledger,
    Deposit,
    CancelledByClinic,
    PatientRequested,
    ArrangedCare,
    OptOutConfirmation,
    NotAnOffer,
    PracticalNews,
    NextPurchase,
    GiftCardBought,
}

/// <summary>How much a signal weighs, what explains it away (in its own sentence, or anywhere in the message), and its DPO-facing meaning.</summary>
internal readonly record struct SignalRule(string Id, double Weight, ulong SentenceGuards, ulong MessageGuards, string Meaning);

internal static class Signals
{
    /// <summary>A text scoring at least this much is marketing: one strong signal, or two or more weaker ones.</summary>
    public const double MarketingThreshold = 1.0;

    public const int KindCount = (int)SignalKind.GiftCardBought + 1;

    public static ulong Bit(SignalKind kind) => 1UL << (int)kind;

    public static bool IsContext(SignalKind kind) => kind >= SignalKind.Amount;

    private static readonly ulong Ledger = Bit(SignalKind.Ledger) | Bit(SignalKind.Deposit);
    private static readonly ulong Rebooking = Bit(SignalKind.CancelledByClinic);
    private static readonly ulong Requested = Bit(SignalKind.PatientRequested);

    /// <summary>
    /// A ledger line explains a discount away only when nothing in the same sentence looks forward to a
    /// new purchase: "-10 % loyalty discount: -39 €" is history, "10 % off your next visit" is an offer.
    /// </summary>
    public static readonly ulong ForwardLooking = Bit(SignalKind.NextPurchase) | Bit(SignalKind.BookingInvitation)
        | Bit(SignalKind.Deadline) | Bit(SignalKind.Enticement) | Bit(SignalKind.Scarcity);

    public static readonly ulong LedgerGuards = Ledger;

    public static readonly SignalRule[] Rules = BuildRules();

    private static SignalRule[] BuildRules()
    {
        var rules = new SignalRule[KindCount];
        void Rule(SignalKind kind, double weight, string meaning, ulong sentence = 0, ulong message = 0) =>
            rules[(int)kind] = new SignalRule(Id(kind), weight, sentence, message, meaning);

        var optedOut = Bit(SignalKind.OptOutConfirmation);
        Rule(SignalKind.DiscountOffered, 1.0, "a discount or reduction offered", sentence: Ledger, message: optedOut);
        Rule(SignalKind.PriceOffered, 0.8, "a special or reference price offered", sentence: Ledger, message: optedOut);
        Rule(SignalKind.Promotion, 1.0, "promotion vocabulary (sale, promo code, special offer)", sentence: Ledger, message: optedOut);
        Rule(SignalKind.FreeOffer, 0.6, "something offered for free", sentence: Bit(SignalKind.NotAnOffer) | Ledger);
        Rule(SignalKind.ReferralOrLoyalty, 1.0, "referral or loyalty scheme", sentence: Ledger, message: optedOut);
        Rule(SignalKind.GiftCard, 1.0, "gift cards or vouchers promoted", sentence: Ledger, message: Bit(SignalKind.GiftCardBought));
        Rule(SignalKind.Event, 1.0, "an event, open day, class or prize draw");
        Rule(SignalKind.Birthday, 0.6, "birthday or anniversary treat");
        Rule(SignalKind.NewOffering, 0.6, "a new treatment, product, service or practitioner announced", sentence: Bit(SignalKind.PracticalNews));
        Rule(SignalKind.BookingInvitation, 0.5, "an invitation to book or sign up", sentence: Bit(SignalKind.ArrangedCare) | Requested, message: Rebooking);
        Rule(SignalKind.RecallSinceLastTreatment, 0.6, "a recall counting time since the last treatment");
        Rule(SignalKind.TopUp, 0.4, "a top-up or touch-up solicited");
        Rule(SignalKind.SlotsOnOffer, 0.4, "free slots put forward", sentence: Bit(SignalKind.ArrangedCare) | Requested, message: Rebooking);
        Rule(SignalKind.Scarcity, 0.5, "scarcity or urgency (limited places, last chance)");
        Rule(SignalKind.CrossSell, 0.6, "cross-selling or upselling another treatment");
        Rule(SignalKind.WordOfMouth, 0.6, "asking the patient to promote the clinic (reviews, tell your friends)");
        Rule(SignalKind.Seasonal, 0.3, "seasonal sales hook");
        Rule(SignalKind.Deadline, 0.2, "a deadline (until, this month)", sentence: Ledger);
        Rule(SignalKind.Enticement, 0.4, "enticement (enjoy, treat yourself, don't wait)");
        Rule(SignalKind.OfferWord, 0.3, "the word offer", sentence: Ledger | Requested, message: Rebooking | optedOut);
        Rule(SignalKind.NewsletterFraming, 1.0, "newsletter or mailing-list framing", message: optedOut);
        Rule(SignalKind.OptOutFooter, 1.0, "an opt-out footer (only marketing carries one)", message: optedOut);
        Rule(SignalKind.CampaignLink, 1.0, "a campaign-tracking link (utm parameters)");
        Rule(SignalKind.PricedOffer, 0.6, "a price next to an invitation to buy or book");
        foreach (var context in Enum.GetValues<SignalKind>().Where(IsContext))
        {
            Rule(context, 0, "context");
        }

        return rules;
    }

    /// <summary>Stable, DPO-readable ids: "discount-offered", "cancelled-by-clinic".</summary>
    private static string Id(SignalKind kind)
    {
        var name = kind.ToString();
        var id = new System.Text.StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && id.Length > 0)
            {
                id.Append('-');
            }

            id.Append(char.ToLowerInvariant(c));
        }

        return id.ToString();
    }
}

using CommsGateway.Contracts;
using CommsGateway.Core.Classification;

namespace CommsGateway.Core.Tests.Classification;

/// <summary>Each marketing signal fires on its own vocabulary, in French and English, and is named in the verdict.</summary>
public sealed class SignalTests
{
    private readonly ContentClassifier classifier = new();

    public static TheoryData<string, string> Signals => new()
    {
        { "discount-offered", "Ce mois-ci, -25 % sur l'épilation laser." },
        { "discount-offered", "Get 15% off your first facial." },
        { "price-offered", "Le blanchiment à 290 € au lieu de 350 €." },
        { "price-offered", "Full skin check, usually £120." },
        { "promotion", "Use promo code GLOW at checkout." },
        { "promotion", "C'est les soldes à la clinique !" },
        { "free-offer", "Un diagnostic de peau vous est offert." },
        { "free-offer", "Enjoy a complimentary consultation." },
        { "referral-or-loyalty", "Parrainez vos proches !" },
        { "referral-or-loyalty", "Join our loyalty programme." },
        { "gift-card", "Pensez à nos cartes cadeaux." },
        { "gift-card", "Gift vouchers are on sale at reception." },
        { "event", "Soirée portes ouvertes jeudi." },
        { "event", "Join our workshop on posture." },
        { "birthday", "Joyeux anniversaire Léa !" },
        { "birthday", "Happy birthday from all of us." },
        { "new-offering", "Nouveau au cabinet : la pressothérapie." },
        { "new-offering", "Introducing our new skin booster." },
        { "booking-invitation", "Réservez dès maintenant." },
        { "booking-invitation", "Book online today." },
        { "recall-since-last-treatment", "Cela fait 6 mois depuis votre dernière séance." },
        { "recall-since-last-treatment", "It's been 5 months since your treatment." },
        { "top-up", "Time for a top-up?" },
        { "top-up", "Une petite retouche ?" },
        { "slots-on-offer", "Le Dr Morel a encore quelques créneaux." },
        { "slots-on-offer", "Dr Ray has openings next week." },
        { "scarcity", "Places limitées." },
        { "scarcity", "Last chance!" },
        { "cross-sell", "Le saviez-vous ? Nous faisons aussi les peelings." },
        { "cross-sell", "Why not add a LED session?" },
        { "word-of-mouth", "Parlez-en autour de vous." },
        { "word-of-mouth", "Leave us a Google review." },
        { "seasonal", "Prête pour le printemps ?" },
        { "seasonal", "Christmas is coming." },
        { "enticement", "Profitez-en !" },
        { "enticement", "Treat yourself, you deserve it." },
        { "newsletter-framing", "Notre lettre d'information de mai." },
        { "newsletter-framing", "You're receiving this because you signed up." },
        { "opt-out-footer", "STOP au 36111" },
        { "opt-out-footer", "Unsubscribe" },
        { "campaign-link", "https://clinic.example/spring?utm_source=sms" },
    };

    [Theory]
    [MemberData(nameof(Signals))]
    public void Should_fire_the_signal(string rule, string text)
    {
        var result = classifier.ClassifyText(null, text, null);
        Assert.Contains(result.Signals, s => s.StartsWith(rule + "@body", StringComparison.Ordinal));
    }

    public static TheoryData<string> StrongSignalsAlone => new()
    {
        "Ce mois-ci, -25 % sur l'épilation laser.",
        "Use promo code GLOW at checkout.",
        "Parrainez vos proches !",
        "Gift vouchers are on sale at reception.",
        "Soirée portes ouvertes jeudi.",
        "Unsubscribe",
        "https://clinic.example/spring?utm_source=sms",
    };

    [Theory]
    [MemberData(nameof(StrongSignalsAlone))]
    public void Should_make_a_strong_signal_marketing_on_its_own(string text) =>
        Assert.True(classifier.ClassifyText(null, text, null).IsMarketing);

    [Fact]
    public void Should_not_make_a_weak_signal_marketing_on_its_own()
    {
        Assert.False(classifier.ClassifyText(null, "Réservez votre prochain contrôle sur notre site.", null).IsMarketing);
        Assert.False(classifier.ClassifyText(null, "Christmas opening hours: closed 25-26 December.", null).IsMarketing);
    }

    [Fact]
    public void Should_add_weak_signals_up()
    {
        var result = classifier.ClassifyText(null, "Cela fait 6 mois depuis votre dernière injection ; le Dr Aubert a encore quelques créneaux pour une retouche.", null);
        Assert.True(result.IsMarketing, string.Join("; ", result.Signals));
        Assert.Equal(3, result.Signals.Count);
    }

    [Fact]
    public void Should_ignore_case_accents_apostrophes_and_emojis()
    {
        var plain = classifier.ClassifyText(null, "profitez de -20% sur l'epilation, reservez vite", null);
        var styled = classifier.ClassifyText(null, "PROFITEZ de −20% sur l’ÉPILATION 🎉🎉, RÉSERVEZ vite", null);
        Assert.Equal(plain.Score, styled.Score);
        Assert.Equal(plain.Signals, styled.Signals);
    }

    [Fact]
    public void Should_name_where_each_signal_was_found()
    {
        var result = classifier.Classify("Black Friday", "Votre RDV est confirmé.", "<p>Réservez en ligne</p>",
            [new ContentBlock { Kind = Purpose.Service, Text = "Parrainez une amie !" }], Channel.Email, "fr");
        Assert.Contains("promotion@subject: \"black friday\"", result.Signals);
        Assert.Contains("booking-invitation@html: \"reservez\"", result.Signals);
        Assert.Contains("referral-or-loyalty@blocks[0]: \"parrain\"", result.Signals);
    }

    [Fact]
    public void Should_read_html_text_and_campaign_links_in_attributes()
    {
        var html = "<p>Bonjour,</p><p><a href=\"https://clinic.example/x?utm_campaign=mai&amp;utm_source=email\">Voir</a></p>";
        var result = classifier.ClassifyText("Infos", "Bonjour", html);
        Assert.Contains(result.Signals, s => s.StartsWith("campaign-link@", StringComparison.Ordinal));
        Assert.True(result.IsMarketing);
    }

    [Fact]
    public void Should_ignore_the_declared_purpose()
    {
        var reminder = new MessageIntent { Channel = Channel.Sms, Body = "Rappel : RDV demain 10h.", DeclaredPurpose = Purpose.Marketing };
        var promo = new MessageIntent { Channel = Channel.Sms, Body = "-30% sur tous nos soins jusqu'à dimanche !", DeclaredPurpose = Purpose.Service };
        Assert.Equal(Purpose.Service, classifier.Classify(reminder).Purpose);
        Assert.Equal(Purpose.Marketing, classifier.Classify(promo).Purpose);
    }

    [Fact]
    public void Should_be_deterministic()
    {
        var intent = new MessageIntent { Channel = Channel.Email, Subject = "Spring", Body = "Our new HydraFacial is here: book online, 20% off until Friday." };
        var first = classifier.Classify(intent);
        var second = new ContentClassifier().Classify(intent);
        Assert.Equal(first.Score, second.Score);
        Assert.Equal(first.Signals, second.Signals);
    }

    [Fact]
    public void Should_give_the_same_rule_score_on_the_allocation_free_path()
    {
        const string body = "Votre RDV est confirmé. En mars, -20% sur le peeling si vous l'ajoutez à votre séance.";
        Assert.Equal(classifier.ClassifyText("Rappel", body, null).Score, ContentClassifier.RuleScore("Rappel", body, null));
    }

    [Fact]
    public void Should_list_each_keyword_once()
    {
        Assert.Empty(ClassifierEngine.Shared.Automaton.Duplicates);
        Assert.All(ContentClassifier.RuleMeanings.Keys, id => Assert.Matches("^[a-z-]+$", id));
    }
}

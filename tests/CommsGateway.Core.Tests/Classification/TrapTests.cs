using CommsGateway.Contracts;
using CommsGateway.Core.Classification;

namespace CommsGateway.Core.Tests.Classification;

/// <summary>The traps of DOMAIN.md: words that look like marketing in service messages, and the marketing they must not hide.</summary>
public sealed class TrapTests
{
    private readonly ContentClassifier classifier = new();

    public static TheoryData<string, string> ServiceTraps => new()
    {
        { "receipt with a discount applied", "Détail de votre facture :\nSoin visage : 80,00 €\nRemise fidélité (-10 %) : -8,00 €\nTotal réglé : 72,00 €" },
        { "receipt with an adjustment", "Receipt\nLaser course: £450.00\nCourse price adjustment: -£50.00\nAmount paid: £400.00" },
        { "invoice with amounts", "Your invoice INV-301 (£65.00) for 3 March is attached. Payment is due within 14 days." },
        { "gift card the patient bought", "Thank you for your purchase! Your gift card of £75 for Anna is attached; it is valid for 12 months." },
        { "bon cadeau acheté", "Merci pour votre achat : votre bon cadeau de 50 € au nom de Paul est joint à ce message." },
        { "access code", "Your door access code for Saturday is 7731. Ring the bell if it does not work." },
        { "one-time code", "Votre code de connexion : 558201. Il expire dans 10 minutes." },
        { "free parking", "Reminder: appointment tomorrow 9:30. Free parking is available behind the clinic." },
        { "parking gratuit", "Rappel : RDV demain 9h30. Le parking est gratuit pour les patients." },
        { "earlier slot the patient asked for", "We can offer you the earlier slot you asked for: Monday 8:30. Reply YES to switch." },
        { "créneau demandé", "Nous pouvons vous offrir le créneau de 8h que vous aviez demandé (liste d'attente). Répondez OUI." },
        { "rebooking after the clinic cancelled", "Sorry, Dr Lee is unwell and your appointment on Friday is cancelled. Please book a new time online." },
        { "annulation par le cabinet", "Votre RDV de mardi est annulé (praticien absent). Réservez un nouveau créneau sur notre site. Toutes nos excuses." },
        { "deposit in %", "We have received your 30% deposit (£300). The balance of £700 is due on the day." },
        { "acompte en %", "Acompte de 30 % reçu (540 €). Solde à régler le jour de l'intervention." },
        { "treatment names in post-care", "After your Botox and filler today, avoid exercise for 24 hours and do not massage the area." },
        { "soins post-traitement", "Après votre peeling et votre séance de laser, appliquez une crème apaisante et évitez le soleil." },
        { "au lieu de about a time", "Votre RDV est décalé à 10h au lieu de 9h30 : merci de votre compréhension." },
        { "remaining prescribed sessions", "Il vous reste 4 séances sur votre ordonnance ; pensez à les réserver." },
        { "new address", "Notre nouvelle adresse à partir du 1er juin : 8 rue Haute. Vos rendez-vous sont maintenus." },
        { "opt-out confirmation", "You have been unsubscribed from our newsletter and offers. Appointment reminders will continue." },
        { "medical referral", "Please bring your GP referral letter to your first appointment." },
        { "step-free access", "The new clinic has step-free access and free Wi-Fi in the waiting room." },
        { "payment reminder", "Dernier rappel : la facture n° 88 de 60 € est impayée. Réglez en ligne." },
    };

    [Theory]
    [MemberData(nameof(ServiceTraps))]
    public void Should_keep_the_trap_a_service_message(string trap, string body)
    {
        var result = classifier.ClassifyText(null, body, null);
        Assert.False(result.IsMarketing, $"{trap}: {result.Score} {string.Join("; ", result.Signals)}");
    }

    public static TheoryData<string, string> MarketingBehindServiceWords => new()
    {
        { "invoice then a promotion", "Votre facture est disponible. Fête des mères : pensez à nos cartes cadeaux !" },
        { "receipt then a discount on the next visit", "Receipt: £80 paid. Get 10% off your next visit when you book this week." },
        { "cancellation then a promotion", "Your Friday appointment is cancelled. Meanwhile, our new peel is 20% off until Sunday." },
        { "reminder with a discount add-on", "Rappel RDV jeudi 15h. -20% sur le peeling si vous l'ajoutez !" },
        { "confirmation promoting a workshop", "Just confirming Friday 8am. By the way, we've started posture workshops, only 6 places!" },
        { "recall soliciting a booking", "It's been 6 months since your injection, Dr Khan has slots next week." },
        { "free parking and a free consultation", "Free parking on site. Book this month and your first consultation is free." },
    };

    [Theory]
    [MemberData(nameof(MarketingBehindServiceWords))]
    public void Should_still_find_the_marketing(string trap, string body)
    {
        var result = classifier.ClassifyText(null, body, null);
        Assert.True(result.IsMarketing, $"{trap}: {result.Score} {string.Join("; ", result.Signals)}");
    }

    [Fact]
    public void Should_report_marketing_left_after_removing_marked_blocks()
    {
        var onlyMarked = classifier.Classify(null, "Rappel : RDV demain 10h.", null,
            [new ContentBlock { Kind = Purpose.Service, Text = "Merci d'arriver 10 minutes en avance." }, new ContentBlock { Kind = Purpose.Marketing, Text = "Our spring newsletter is out." }],
            Channel.Email, "fr");
        Assert.Equal(Purpose.Marketing, onlyMarked.Purpose);
        Assert.False(onlyMarked.MarketingInText);
        Assert.False(onlyMarked.MarketingOutsideMarkedBlocks);
        Assert.Equal([false, true], onlyMarked.Blocks.Select(b => b.IsMarketing));

        var hiddenInServiceBlock = classifier.Classify(null, "Rappel : RDV demain 10h.", null,
            [new ContentBlock { Kind = Purpose.Service, Text = "-20 % sur les peelings ce mois-ci !" }], Channel.Email, "fr");
        Assert.True(hiddenInServiceBlock.MarketingOutsideMarkedBlocks);
        Assert.True(hiddenInServiceBlock.Blocks[0].ContentIsMarketing);

        var inText = classifier.Classify(null, "Rappel : RDV demain 10h. Parrainez une amie !", null,
            [new ContentBlock { Kind = Purpose.Marketing, Text = "Gift cards!" }], Channel.Email, "fr");
        Assert.True(inText.MarketingInText);
        Assert.True(inText.MarketingOutsideMarkedBlocks);
    }

    [Fact]
    public void Should_be_service_without_blocks_or_signals()
    {
        var result = classifier.Classify(new MessageIntent { Channel = Channel.Sms, Body = "Rappel : RDV demain 10h30 avec le Dr Martin." });
        Assert.Equal(Purpose.Service, result.Purpose);
        Assert.Equal(0, result.Score);
        Assert.Empty(result.Signals);
        Assert.Empty(result.Blocks);
    }
}

using CommsGateway.Contracts;
using CommsGateway.Core.Classification;

namespace CommsGateway.IntegrationTests.Features.Review;

/// <summary>
/// Texts the classifier cannot call service or marketing (verdict Review). The one place to change when the classifier
/// changes: every review test first checks, with the real classifier, that its samples are still unsure.
/// </summary>
internal static class UncertainSamples
{
    /// <summary>A reminder ending with an invitation to book: a person says service.</summary>
    public const string Reminder = "Hello Marie, your appointment with Dr Martin is on 12/03 at 14:30. Don't forget you can book online anytime.";

    /// <summary>The same template for another patient, day, time and practitioner.</summary>
    public const string SameTemplateReminder = "Hello John, your appointment with Dr Smith is on 5 April at 9am. Don't forget you can book online anytime.";

    /// <summary>A reminder that also asks the patient to follow the clinic on social media: a person says marketing.</summary>
    public const string Promotion = "Hello Marie, your appointment with Dr Martin is on 12/03 at 14:30. Follow us on Instagram for skin tips.";

    /// <summary>A campaign template (Liquid), unsure once rendered.</summary>
    public const string CampaignTemplate = "Bonjour {{ patient.first_name }},\n{{ clinic.name }} : découvrez notre nouveau site internet.";

    /// <summary>The rendered campaign message, as the classifier sees it.</summary>
    public const string CampaignRendered = "Bonjour Camille,\nTest clinic : découvrez notre nouveau site internet.";

    /// <summary>Fails the calling test early, with a clear message, when a sample is no longer unsure.</summary>
    public static void AssertUncertain(string body, Channel channel = Channel.Sms)
    {
        var classification = new ContentClassifier().Classify(null, body, null, null, channel, "en");
        Assert.True(classification.Verdict == ContentVerdict.Review,
            $"sample no longer unsure ({classification.Verdict}, score {classification.Score}): pick another in UncertainSamples\n{body}");
    }
}

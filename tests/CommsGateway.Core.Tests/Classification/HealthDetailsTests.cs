using CommsGateway.Contracts;
using CommsGateway.Core.Classification;

namespace CommsGateway.Core.Tests.Classification;

public sealed class HealthDetailsTests
{
    public static TheoryData<string, string> Flagged => new()
    {
        { "health-condition", "Bonjour, suite à votre diagnostic de diabète, le Dr Roy souhaite vous revoir." },
        { "health-condition", "Your pregnancy scan is booked for Monday 9am." },
        { "health-result", "Your results show a ferritin level of 8: please call us." },
        { "health-result", "Votre test est positif, merci de rappeler le cabinet." },
        { "health-medication", "Remember your insulin dose before the HbA1c test on Friday." },
    };

    [Theory]
    [MemberData(nameof(Flagged))]
    public void Should_flag_health_details_in_sms_and_whatsapp(string signal, string body)
    {
        Assert.Contains(HealthDetailsDetector.Detect(Channel.Sms, body), s => s.StartsWith(signal, StringComparison.Ordinal));
        Assert.NotEmpty(HealthDetailsDetector.Detect(Channel.WhatsApp, body));
    }

    public static TheoryData<string> Clean => new()
    {
        "Your test results are available in the patient portal.",
        "Rappel : RDV demain 10h avec le Dr Martin.",
        "Finish the antibiotics you were prescribed and rest today.",
        "After your peel, apply SPF 50 every day.",
    };

    [Theory]
    [MemberData(nameof(Clean))]
    public void Should_not_flag_plain_care_messages(string body) => Assert.Empty(HealthDetailsDetector.Detect(Channel.Sms, body));

    [Fact]
    public void Should_only_look_at_sms_and_whatsapp()
    {
        Assert.Empty(HealthDetailsDetector.Detect(Channel.Email, "Your results show diabetes."));
        var classification = new ContentClassifier().Classify(new MessageIntent { Channel = Channel.WhatsApp, Body = "Votre biopsie est bénigne." });
        Assert.NotEmpty(classification.HealthDetails);
    }
}

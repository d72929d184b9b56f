using CommsGateway.Core.Classification;

namespace CommsGateway.Core.Tests.Classification;

public sealed class TemplateKeyTests
{
    private static string Key(string body, string? subject = null) => Convert.ToHexString(TemplateKey.Compute(subject, body));

    [Theory]
    [InlineData("Hello Marie, your appointment with Dr Martin is on 12/03/2026 at 14:30. Deposit paid: €50. Questions? Call 01 42 68 53 00.",
        "Hello John, your appointment with Dr Smith is on 5 April at 9am. Deposit paid: 120,00 €. Questions? Call +44 20 7946 0958.")]
    [InlineData("Bonjour Camille, votre rendez-vous du mardi 4 mars à 10h30 est confirmé. Code d'accès : AB12CD.",
        "Bonjour Jean-Pierre, votre rendez-vous du vendredi 21 novembre à 9h est confirmé. Code d'accès : ZX99QQ.")]
    [InlineData("Dear Ms. Durand, see https://clinic.example/r/abc123 or write to camille@example.org.",
        "Dear Mr. Lee, see https://clinic.example/r/zz9 or write to j.lee@example.com.")]
    public void Messages_differing_only_by_personal_values_share_a_key(string one, string other) =>
        Assert.Equal(Key(one), Key(other));

    [Theory]
    [InlineData("Hello Marie, your appointment is on 12/03 at 14:30.", "Hello Marie, your appointment is cancelled: please call us.")]
    [InlineData("Hello Marie, your appointment is on 12/03 at 14:30.", "Hello Marie, enjoy 20% off your next peel until 12/03.")]
    public void A_different_sentence_gets_another_key(string one, string other) =>
        Assert.NotEqual(Key(one), Key(other));

    [Fact]
    public void The_subject_is_part_of_the_template() =>
        Assert.NotEqual(Key("See you on 12/03.", "Your appointment"), Key("See you on 12/03.", "Our new offer"));

    [Fact]
    public void The_masked_text_keeps_the_wording_and_loses_the_values()
    {
        var masked = TemplateKey.MaskValues("Hello Marie, your appointment with Dr Martin is on 12/03 at 14:30 (+33 6 12 34 56 78).");
        Assert.Contains("your appointment with", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("Marie", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("Martin", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("12/03", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("34 56", masked, StringComparison.Ordinal);
    }
}

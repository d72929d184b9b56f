using CommsGateway.Contracts;
using CommsGateway.Core.Decisions;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Tests;

public sealed class ReasonWordsTests
{
    [Fact]
    public void A_reason_reads_differently_for_the_patient_and_for_staff_in_each_language()
    {
        Assert.Equal("vous aviez refusé ce canal", ReasonWords.Of(ReasonCodes.ChannelRefused, Audience.Patient, french: true));
        Assert.Equal("you had refused this channel", ReasonWords.Of(ReasonCodes.ChannelRefused, Audience.Patient, french: false));
        Assert.Equal("Le patient a refusé ce canal, même pour les messages de service.",
            ReasonWords.Of(ReasonCodes.ChannelRefused, Audience.Staff, french: true));
        Assert.Equal("The patient refused this channel, even for service messages.",
            ReasonWords.Of(ReasonCodes.ChannelRefused, Audience.Staff, french: false));
    }

    [Fact]
    public void The_patient_words_are_the_access_reports()
    {
        Assert.Equal(ReasonWords.Of(ReasonCodes.Suppressed, Audience.Patient, french: true), PlainWords.Reason(ReasonCodes.Suppressed, UnsubscribeLocale.Fr));
        Assert.Equal(ReasonWords.Of(ReasonCodes.Suppressed, Audience.Patient, french: false), PlainWords.Reason(ReasonCodes.Suppressed, UnsubscribeLocale.En));
    }

    [Theory]
    [InlineData(ReasonCodes.MalformedMessage)]
    [InlineData(ReasonCodes.MissingField)]
    [InlineData(ReasonCodes.InvalidField)]
    [InlineData(ReasonCodes.UnknownChannel)]
    [InlineData(ReasonCodes.BodyTooLarge)]
    public void The_patient_reads_one_sentence_for_every_kind_of_malformed_message(string code)
    {
        Assert.Equal("message mal formé", ReasonWords.Of(code, Audience.Patient, french: true));
        Assert.Equal("malformed message", ReasonWords.Of(code, Audience.Patient, french: false));
    }

    [Fact]
    public void A_code_without_words_for_the_audience_is_shown_as_it_is()
    {
        Assert.Equal("SomethingNew", ReasonWords.Of("SomethingNew", Audience.Patient, french: true));
        Assert.Equal("SomethingNew", ReasonWords.Of("SomethingNew", Audience.Staff, french: false));
        Assert.Equal(ReasonCodes.ProviderRejected, ReasonWords.Of(ReasonCodes.ProviderRejected, Audience.Staff, french: true));
        Assert.Equal("refusé par l'opérateur", ReasonWords.Of(ReasonCodes.ProviderRejected, Audience.Patient, french: true));
    }

    [Fact]
    public void Every_code_staff_can_read_a_patient_can_read_too_in_both_languages()
    {
        var codes = typeof(ReasonCodes).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.NotEmpty(codes);
        foreach (var code in codes.Where(c => ReasonWords.Of(c, Audience.Staff, french: true) != c))
        {
            Assert.NotEqual(code, ReasonWords.Of(code, Audience.Staff, french: false));
            Assert.NotEqual(code, ReasonWords.Of(code, Audience.Patient, french: true));
            Assert.NotEqual(code, ReasonWords.Of(code, Audience.Patient, french: false));
        }
    }
}

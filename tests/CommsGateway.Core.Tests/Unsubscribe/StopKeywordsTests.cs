using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Tests.Unsubscribe;

public sealed class StopKeywordsTests
{
    [Theory]
    [InlineData("STOP")]
    [InlineData("stop")]
    [InlineData("  Stop \n")]
    [InlineData("Stop.")]
    [InlineData("STOPALL")]
    [InlineData("unsubscribe")]
    [InlineData("End")]
    [InlineData("QUIT")]
    [InlineData("cancel")]
    [InlineData("Revoke")]
    [InlineData("OPTOUT")]
    [InlineData("ARRET")]
    [InlineData("ARRÊT")]
    [InlineData("arrêt")]
    [InlineData("Arrét")]
    [InlineData("STOP SMS")]
    [InlineData("Stop  sms.")]
    [InlineData("ＳＴＯＰ")]
    [InlineData("ｓｔｏｐ")]
    [InlineData("STOP!!!")]
    [InlineData("« Stop »")]
    [InlineData("STOP 🛑")]
    [InlineData("🙏 ARRÊT")]
    [InlineData("\u00A0Stop\u3000")]
    [InlineData("STOP\u200B")]
    [InlineData("ST\u200BOP")]
    [InlineData("Ａｒｒêｔ")]
    public void Should_opt_out_on_a_stop_keyword(string body) => Assert.Equal(KeywordIntent.OptOut, StopKeywords.Match(body));

    [Theory]
    [InlineData("START")]
    [InlineData("yes")]
    [InlineData("Unstop")]
    public void Should_opt_in_on_a_start_keyword(string body) => Assert.Equal(KeywordIntent.OptIn, StopKeywords.Match(body));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("please stop")]
    [InlineData("STOP sending me offers about botox")]
    [InlineData("Je ne veux pas que ça s'arrête")]
    [InlineData("STO P")]
    [InlineData("STOP SMS please")]
    [InlineData("Merci, à demain")]
    public void Should_ignore_keywords_inside_a_sentence(string? body) => Assert.Equal(KeywordIntent.None, StopKeywords.Match(body));

    [Theory]
    [InlineData("HELP")]
    [InlineData("aide")]
    [InlineData("Info ?")]
    [InlineData("ＨＥＬＰ")]
    [InlineData("Aide !")]
    public void Should_recognise_a_help_keyword(string body) => Assert.Equal(KeywordIntent.Help, StopKeywords.Match(body));

    [Theory]
    [InlineData("I need help with my appointment")]
    [InlineData("info rdv")]
    public void Should_not_take_help_inside_a_sentence(string body) => Assert.Equal(KeywordIntent.None, StopKeywords.Match(body));

    [Theory]
    [InlineData("Thanks!", "STOP", KeywordIntent.OptOut)]
    [InlineData("whatever", "start", KeywordIntent.OptIn)]
    [InlineData("STOP", "", KeywordIntent.OptOut)]
    public void Should_honour_twilio_opt_out_type(string body, string optOutType, KeywordIntent expected) =>
        Assert.Equal(expected, StopKeywords.Match(body, optOutType));
}

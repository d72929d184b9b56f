using CommsGateway.Core.Webhooks;

namespace CommsGateway.Core.Tests.Webhooks;

public sealed class TwilioSignatureTests
{
    // Twilio's published example (twilio.com/docs/usage/security#validating-requests).
    private const string Token = "12345";
    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    private const string Expected = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    private static readonly Dictionary<string, string> Params = new()
    {
        ["CallSid"] = "CA1234567890ABCDE",
        ["Caller"] = "+12349013030",
        ["Digits"] = "1234",
        ["From"] = "+12349013030",
        ["To"] = "+18005551212",
    };

    [Fact]
    public void Should_match_Twilios_published_vector() =>
        Assert.Equal(Expected, TwilioSignature.Compute(Token, Url, Params));

    [Fact]
    public void Should_not_depend_on_parameter_order() =>
        Assert.Equal(Expected, TwilioSignature.Compute(Token, Url, Params.Reverse()));

    [Theory]
    [InlineData(Expected, true)]
    [InlineData("0/KCTR6DLpKmkAf8muzZqo1nDgQ", false)]
    [InlineData("1/KCTR6DLpKmkAf8muzZqo1nDgQ=", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Should_accept_only_the_exact_signature(string? signature, bool valid) =>
        Assert.Equal(valid, TwilioSignature.IsValid(Token, Url, Params, signature));

    [Fact]
    public void Should_reject_a_tampered_parameter()
    {
        var tampered = new Dictionary<string, string>(Params) { ["Digits"] = "9999" };
        Assert.False(TwilioSignature.IsValid(Token, Url, tampered, Expected));
    }

    [Fact]
    public void Should_reject_a_different_url() =>
        Assert.False(TwilioSignature.IsValid(Token, "https://mycompany.com/myapp.php?foo=1&bar=3", Params, Expected));
}

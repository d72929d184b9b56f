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

    [Fact]
    public void Should_sign_a_repeated_parameter_once_per_value_in_value_order() =>
        Assert.Equal(
            TwilioSignature.Compute(Token, Url, [new("MediaUrl", "a"), new("MediaUrl", "b")]),
            TwilioSignature.Compute(Token, Url, [new("MediaUrl", "b"), new("MediaUrl", "a")]));
}

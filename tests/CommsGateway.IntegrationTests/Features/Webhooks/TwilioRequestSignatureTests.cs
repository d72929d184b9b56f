using CommsGateway.Core.Webhooks;
using CommsGateway.Features.Webhooks;

namespace CommsGateway.IntegrationTests.Features.Webhooks;

/// <summary>The gateway's check of X-Twilio-Signature (Twilio's SDK RequestValidator), against what Twilio signs.</summary>
public sealed class TwilioRequestSignatureTests
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

    [Theory]
    [InlineData(Expected, true)]
    [InlineData("0/KCTR6DLpKmkAf8muzZqo1nDgQ", false)]
    [InlineData("1/KCTR6DLpKmkAf8muzZqo1nDgQ=", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Should_accept_only_the_exact_signature(string? signature, bool valid) =>
        Assert.Equal(valid, TwilioWebhookForm.IsValid(Token, Url, Params, signature));

    [Fact]
    public void Should_reject_a_tampered_parameter()
    {
        var tampered = new Dictionary<string, string>(Params) { ["Digits"] = "9999" };
        Assert.False(TwilioWebhookForm.IsValid(Token, Url, tampered, Expected));
    }

    [Fact]
    public void Should_reject_a_different_url() =>
        Assert.False(TwilioWebhookForm.IsValid(Token, "https://mycompany.com/myapp.php?foo=1&bar=3", Params, Expected));

    [Fact]
    public void Should_accept_repeated_parameters_signed_once_per_value_and_nothing_else()
    {
        KeyValuePair<string, string>[] form = [new("Body", "photo"), new("MediaUrl", "https://m/b"), new("MediaUrl", "https://m/a")];
        var signed = TwilioSignature.Compute(Token, Url, form);

        Assert.True(TwilioWebhookForm.IsValid(Token, Url, form, signed));
        Assert.True(TwilioWebhookForm.IsValid(Token, Url, form.Reverse(), signed));
        // Comma-joined values are another message: what a validator taking one value per name would have signed.
        Assert.False(TwilioWebhookForm.IsValid(Token, Url, form, TwilioSignature.Compute(Token, Url,
            [new("Body", "photo"), new("MediaUrl", "https://m/a,https://m/b")])));
        Assert.False(TwilioWebhookForm.IsValid(Token, Url, form[..2], signed));
    }
}

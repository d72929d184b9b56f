using CommsGateway.Features.Privacy;
using CommsGateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CommsGateway.IntegrationTests.Features.Privacy;

/// <summary>A missing or weak suppression hash key stops the gateway at start-up, in any environment.</summary>
public sealed class PrivacyOptionsTests
{
    public static TheoryData<string, string?> BadKeys => new()
    {
        { "missing", "" },
        { "not base64", "not base64!" },
        { "16 bytes", Convert.ToBase64String(new byte[16]) },
        { "31 bytes", Convert.ToBase64String(new byte[31]) },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Should_refuse_to_start_with_an_address_hash_key_that_is(string because, string? value)
    {
        await using var app = GatewayHost.Build(["--urls", "http://127.0.0.1:0", "--environment", "Testing"], builder =>
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                // Valid provider settings, so the privacy key is the only thing wrong.
                ["SendGrid:ApiKey"] = "SG.test",
                ["Twilio:AccountSid"] = "ACtest",
                ["Twilio:AuthToken"] = "test",
                ["Privacy:AddressHashKey"] = value,
            }));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.True(error.OptionsType == typeof(PrivacyOptions), because);
        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("Privacy:AddressHashKey must be base64 of at least 32 bytes", failure, StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(value))
        {
            Assert.DoesNotContain(value, failure, StringComparison.Ordinal); // the key is never echoed
        }
    }
}

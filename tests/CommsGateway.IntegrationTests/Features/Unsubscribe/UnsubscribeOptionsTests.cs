using CommsGateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CommsGateway.IntegrationTests.Features.Unsubscribe;

/// <summary>A bad unsubscribe key stops the gateway at start-up, before any link can be signed with it.</summary>
public sealed class UnsubscribeOptionsTests
{
    public static TheoryData<string, string, string?> BadSettings => new()
    {
        { "short secret", "Unsubscribe:Keys:0:Secret", Convert.ToBase64String(new byte[16]) },
        { "secret not base64", "Unsubscribe:Keys:0:Secret", "not base64!" },
        { "active key not in ring", "Unsubscribe:ActiveKeyId", "k-missing" },
        { "short subscriber key", "Unsubscribe:SubscriberKey", Convert.ToBase64String(new byte[8]) },
        { "validity under a year", "Unsubscribe:ValidityDays", "200" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Should_refuse_to_start(string because, string key, string? value)
    {
        await using var app = GatewayHost.Build(["--urls", "http://127.0.0.1:0", "--environment", "Testing"], builder =>
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Unsubscribe:ActiveKeyId"] = "k1",
                ["Unsubscribe:Keys:0:Id"] = "k1",
                ["Unsubscribe:Keys:0:Secret"] = Convert.ToBase64String(new byte[32]),
                ["Unsubscribe:SubscriberKey"] = Convert.ToBase64String(new byte[32]),
                // Valid provider settings, so the unsubscribe options are the only thing wrong.
                ["SendGrid:ApiKey"] = "SG.test",
                ["Twilio:AccountSid"] = "ACtest",
                ["Twilio:AuthToken"] = "test",
                [key] = value,
            }));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.True(error.OptionsType == typeof(CommsGateway.Features.Unsubscribe.UnsubscribeOptions), because);
    }
}

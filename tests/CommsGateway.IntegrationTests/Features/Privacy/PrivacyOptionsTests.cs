using CommsGateway.Features.Privacy;
using CommsGateway.Hosting;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CommsGateway.IntegrationTests.Features.Privacy;

/// <summary>A missing or weak suppression hash key, or another key than the database was written with, stops the gateway at start-up.</summary>
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

    // Suppressions are HMACs under the key: started with another one, the gateway would match none of them (erased
    // addresses included) without a word. The first start records the key's fingerprint; a different key is refused.
    [Fact]
    public async Task Should_refuse_a_key_other_than_the_one_the_database_was_written_with()
    {
        await using var servers = await TestServers.StartAsync();
        var original = Convert.ToBase64String(Enumerable.Repeat((byte)21, 32).ToArray());
        var other = Convert.ToBase64String(Enumerable.Repeat((byte)22, 32).ToArray());

        await StartAndStopAsync(servers, original);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAndStopAsync(servers, other));
        await StartAndStopAsync(servers, original); // the original key still starts

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("Privacy:AddressHashKey is not the key this database's suppressions were hashed with", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(other, failure, StringComparison.Ordinal);
        Assert.DoesNotContain(original, failure, StringComparison.Ordinal);
    }

    private static async Task StartAndStopAsync(TestServers servers, string addressHashKey)
    {
        var settings = servers.GatewaySettings();
        settings["SendGrid:ApiKey"] = "SG.test";
        settings["Twilio:AccountSid"] = "ACtest";
        settings["Twilio:AuthToken"] = "test";
        settings["Retention:Enabled"] = "false";
        settings["Privacy:AddressHashKey"] = addressHashKey;
        await using var app = GatewayHost.Build(["--urls", "http://127.0.0.1:0", "--environment", "Testing"], builder =>
            builder.Configuration.AddInMemoryCollection(settings));
        await app.StartAsync();
        await app.StopAsync();
    }
}

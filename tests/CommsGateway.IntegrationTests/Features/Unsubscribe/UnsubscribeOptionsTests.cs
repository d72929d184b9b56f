using CommsGateway.Core.Unsubscribe;
using CommsGateway.FakeProviders;
using CommsGateway.Hosting;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsGateway.IntegrationTests.Features.Unsubscribe;

/// <summary>A bad unsubscribe key stops the gateway at start-up, before any link can be signed with it.</summary>
public sealed class UnsubscribeOptionsTests
{
    private static readonly string RealSecret = Convert.ToBase64String(new byte[32]);
    private static readonly string RealSubscriberKey = Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray());
    private static readonly string RealAddressHashKey = Convert.ToBase64String(Enumerable.Repeat((byte)11, 32).ToArray());
    private static readonly string RealReviewContentKey = Convert.ToBase64String(Enumerable.Repeat((byte)13, 32).ToArray());

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

    /// <summary>The committed appsettings.json, as the binary ships it: its keys are public.</summary>
    private static IConfigurationRoot Committed() =>
        new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json", optional: false).Build();

    /// <summary>Production settings that pass: a key of one's own, an https address. Each case spoils one.</summary>
    private static Dictionary<string, string?> ProductionSettings() => new()
    {
        ["Unsubscribe:ActiveKeyId"] = "prod-2026",
        ["Unsubscribe:Keys:0:Id"] = "prod-2026",
        ["Unsubscribe:Keys:0:Secret"] = RealSecret,
        ["Unsubscribe:SubscriberKey"] = RealSubscriberKey,
        ["Privacy:AddressHashKey"] = RealAddressHashKey,
        ["Review:ContentKey"] = RealReviewContentKey,
        ["Gateway:PublicBaseUrl"] = "https://gw.clinique.example",
        ["SendGrid:ApiKey"] = "SG.test",
        ["Twilio:AccountSid"] = "ACtest",
        ["Twilio:AuthToken"] = "test",
    };

    public static TheoryData<string, string> ProductionMistakes => new()
    {
        { "the committed appsettings.json as is", "Unsubscribe:Keys" },
        { "the committed secret under another id", "Unsubscribe:Keys" },
        { "a dev- key id", "Unsubscribe:Keys" },
        { "an old dev key kept in the ring", "Unsubscribe:Keys" },
        { "the committed subscriber key", "Unsubscribe:SubscriberKey" },
        { "an http public address", "Gateway:PublicBaseUrl" },
        { "the committed address hash key", "Privacy:AddressHashKey" },
        { "the committed review content key", "Review:ContentKey" },
    };

    [Theory]
    [MemberData(nameof(ProductionMistakes))]
    public async Task Should_refuse_to_start_in_production_with(string mistake, string setting)
    {
        var committed = Committed();
        var settings = ProductionSettings();
        switch (mistake)
        {
            case "the committed appsettings.json as is":
                foreach (var key in settings.Keys.Where(k => k.StartsWith("Unsubscribe:", StringComparison.Ordinal)).ToList())
                {
                    settings.Remove(key);
                }

                break;
            case "the committed secret under another id":
                settings["Unsubscribe:Keys:0:Secret"] = committed["Unsubscribe:Keys:0:Secret"];
                break;
            case "a dev- key id":
                settings["Unsubscribe:ActiveKeyId"] = settings["Unsubscribe:Keys:0:Id"] = "dev-2027";
                break;
            case "an old dev key kept in the ring":
                settings["Unsubscribe:Keys:1:Id"] = "dev-2025";
                settings["Unsubscribe:Keys:1:Secret"] = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray());
                break;
            case "the committed subscriber key":
                settings["Unsubscribe:SubscriberKey"] = committed["Unsubscribe:SubscriberKey"];
                break;
            case "an http public address":
                settings["Gateway:PublicBaseUrl"] = "http://gw.clinique.example";
                break;
            case "the committed address hash key":
                settings.Remove("Privacy:AddressHashKey");
                break;
            case "the committed review content key":
                settings.Remove("Review:ContentKey");
                break;
        }

        // Gateway options are read while the endpoints are mapped, so a bad PublicBaseUrl fails the build itself:
        // either way the process stops before it listens.
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = GatewayHost.Build(["--urls", "http://127.0.0.1:0", "--environment", "Production"], builder =>
            {
                // The committed file first (as `commsgw run` loads it next to the binary), then the deployment's settings.
                builder.Configuration.AddConfiguration(committed);
                builder.Configuration.AddInMemoryCollection(settings);
            });
            await app.StartAsync();
        });

        Assert.Contains(error.Failures, f => f.StartsWith(setting, StringComparison.Ordinal) && f.Contains("Production", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_start_in_production_with_own_keys_and_https()
    {
        await using var servers = await TestServers.StartAsync();
        await using var fake = await FakeProviderServer.StartAsync();
        var settings = servers.GatewaySettings();
        foreach (var (key, value) in FakeProviderSettings.For(fake, "https://gw.clinique.example"))
        {
            settings[key] = value;
        }

        foreach (var (key, value) in ProductionSettings().Where(s => s.Key.StartsWith("Unsubscribe:", StringComparison.Ordinal) || s.Key.StartsWith("Privacy:", StringComparison.Ordinal)
                     || s.Key.StartsWith("Review:", StringComparison.Ordinal)))
        {
            settings[key] = value;
        }

        await using var app = GatewayHost.Build(["--urls", "http://127.0.0.1:0", "--environment", "Production"], builder =>
        {
            builder.Configuration.AddConfiguration(Committed());
            builder.Configuration.AddInMemoryCollection(settings);
        });

        await app.StartAsync();
        try
        {
            var address = app.Urls.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);

            // Links carry the deployment's https address and are signed with its own key.
            var link = await app.Services.GetRequiredService<CommsGateway.Features.Unsubscribe.UnsubscribeLinks>().IssueAsync(
                "clinic-prod", "patient-1", CommsGateway.Contracts.Channel.Email, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, null, CancellationToken.None);
            Assert.StartsWith("https://gw.clinique.example/u/", link.AbsoluteUri, StringComparison.Ordinal);
            var tokens = app.Services.GetRequiredService<UnsubscribeTokens>();
            Assert.Equal("prod-2026", tokens.ActiveKeyId);
            Assert.True(tokens.Verify(link.Segments[^1], DateTimeOffset.UtcNow).IsValid);
        }
        finally
        {
            await app.StopAsync();
        }
    }
}

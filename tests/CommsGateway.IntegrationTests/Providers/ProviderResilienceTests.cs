using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using CommsGateway.Providers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CommsGateway.IntegrationTests.Providers;

/// <summary>
/// The fake's per-sender pacing, and the gateway's circuit breaker against it: the provider registrations of the
/// gateway itself (<see cref="ProvidersFeature.AddProviders"/>) on a private fake, so the counts are this test's alone.
/// </summary>
public sealed class ProviderResilienceTests
{
    private static async Task<HttpResponseMessage> PostTwilioAsync(HttpClient http, FakeProviderServer fake, string from, string to)
    {
        var o = fake.Options;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{fake.BaseUrl}/2010-04-01/Accounts/{o.TwilioAccountSid}/Messages.json")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["To"] = to, ["From"] = from, ["Body"] = "Rappel : RDV demain 10h30." }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(o.TwilioAccountSid + ":" + o.TwilioAuthToken)));
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task Should_answer_429_with_Retry_After_to_a_long_code_beyond_its_rate_and_keep_other_senders_going()
    {
        // A refill so slow that "beyond its rate" does not depend on how fast this machine sends the second request.
        var options = new FakeProviderOptions();
        options.RatePerSecond[SenderKind.LongCode] = 0.01;
        await using var fake = await FakeProviderServer.StartAsync(options);
        using var http = new HttpClient();

        using var first = await PostTwilioAsync(http, fake, FakeProviderSettings.LongCode, "+33612000041");
        using var second = await PostTwilioAsync(http, fake, FakeProviderSettings.LongCode, "+33612000042");
        using var shortCode = await PostTwilioAsync(http, fake, FakeProviderSettings.ShortCode, "+33612000043");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        var retryAfter = second.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.True(retryAfter >= TimeSpan.FromSeconds(1), $"Retry-After {retryAfter}");
        using (var error = JsonDocument.Parse(await second.Content.ReadAsStringAsync()))
        {
            Assert.Equal(20429, error.RootElement.GetProperty("code").GetInt32());
        }

        Assert.Equal(HttpStatusCode.Created, shortCode.StatusCode); // the bucket is per sender
        Assert.Equal(["+33612000041", "+33612000043"], fake.Accepted.Select(m => m.To).Order());
    }

    [Fact]
    public async Task Should_not_reach_Twilio_while_the_breaker_is_open_and_give_up_at_the_total_timeout()
    {
        var options = new FakeProviderOptions { FaultRate = 1, FaultScript = [500, 500, 500, 500, 500, 500] };
        await using var fake = await FakeProviderServer.StartAsync(options);
        using var host = ProvidersOnly(fake, new Dictionary<string, string?>
        {
            ["Twilio:MaxRetryAttempts"] = "1", // Polly's minimum: one call = two attempts = two failures
            ["Twilio:BreakerMinimumThroughput"] = "2",
            ["Twilio:BreakerFailureRatio"] = "0.5",
            ["Twilio:BreakDurationSeconds"] = "600",
            ["Twilio:TotalTimeoutSeconds"] = "2",
        });
        var dispatcher = host.Services.GetRequiredService<IMessageDispatcher>();

        var results = new List<DispatchResult>();
        for (var i = 0; i < 3; i++)
        {
            results.Add(await dispatcher.DispatchAsync(Sms(i), CancellationToken.None));
        }

        Assert.All(results, r => Assert.Equal((false, ReasonCodes.ProviderUnavailable, false), (r.Succeeded, r.ReasonCode, r.Permanent)));
        Assert.Equal(2, fake.Calls); // the first message's two 500s opened it; the next two messages never left the gateway
        Assert.StartsWith("500 twilio", results[0].Detail, StringComparison.Ordinal);
        // They waited for the circuit (it stays open 600 s) until the total timeout, instead of failing at once.
        Assert.All(results.Skip(1), r => Assert.StartsWith("TimeoutRejectedException", r.Detail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_wait_for_an_open_breaker_and_send_once_the_provider_takes_messages_again()
    {
        // Every message is refused twice before the fake takes it: the first message's two 500s open the breaker.
        var options = new FakeProviderOptions { FaultRate = 1, FaultScript = [500, 500] };
        await using var fake = await FakeProviderServer.StartAsync(options);
        using var host = ProvidersOnly(fake, new Dictionary<string, string?>
        {
            ["Twilio:MaxRetryAttempts"] = "1",
            ["Twilio:BreakerMinimumThroughput"] = "2",
            ["Twilio:BreakerFailureRatio"] = "0.5",
            ["Twilio:BreakDurationSeconds"] = "0.5",
            ["Twilio:TotalTimeoutSeconds"] = "30",
        });
        var dispatcher = host.Services.GetRequiredService<IMessageDispatcher>();

        var first = await dispatcher.DispatchAsync(Sms(0), CancellationToken.None);
        var second = await dispatcher.DispatchAsync(Sms(1), CancellationToken.None);

        Assert.Equal((false, ReasonCodes.ProviderUnavailable), (first.Succeeded, first.ReasonCode)); // its own two 500s
        // Refused by the open circuit without reaching Twilio, it waited out each break and probed: 500, 500, then taken.
        Assert.True(second.Succeeded, second.Detail);
        Assert.Equal(5, fake.Calls);
        Assert.Equal(["+33612000051"], fake.Accepted.Select(m => m.To));
    }

    private static OutboundMessage Sms(int i) => new()
    {
        DecisionId = Guid.CreateVersion7(),
        IntentId = "breaker-" + i.ToString(CultureInfo.InvariantCulture),
        TenantId = "t-breaker",
        Channel = Channel.Sms,
        Purpose = Purpose.Service,
        To = "+3361200005" + i.ToString(CultureInfo.InvariantCulture),
        Text = "Rappel : RDV demain 10h30.",
        Sender = FakeProviderSettings.SenderFor("t-breaker"),
    };

    /// <summary>The gateway's provider registrations (options, resilience pipelines, dispatchers) and nothing else.</summary>
    private static IHost ProvidersOnly(FakeProviderServer fake, Dictionary<string, string?> overrides)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(FakeProviderSettings.For(fake));
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.AddProviders();
        builder.Services.Replace(ServiceDescriptor.Singleton<IProviderOptOutSink, NoOptOuts>());
        return builder.Build(); // not started: no reconciler, no database
    }

    private sealed class NoOptOuts : IProviderOptOutSink
    {
        public Task RecordAsync(ProviderOptOut optOut, CancellationToken ct) => Task.CompletedTask;
    }
}

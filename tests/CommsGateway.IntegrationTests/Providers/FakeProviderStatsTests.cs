using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CommsGateway.FakeProviders;

namespace CommsGateway.IntegrationTests.Providers;

/// <summary>The fake provider's counters (`/_fake/stats`), which the bench and the fault suite read: an intent accepted twice is one duplicate.</summary>
public sealed class FakeProviderStatsTests : IAsyncLifetime
{
    private FakeProviderServer _fake = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeProviderServer.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_fake.BaseUrl + "/") };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _fake.Options.SendGridApiKey);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task Should_count_each_intent_accepted_more_than_once_as_one_duplicate_and_start_again_from_zero_after_a_reset()
    {
        await SendAsync(["i-1", "i-2"]);
        Assert.Equal((2, 2, 0), await StatsAsync());

        await SendAsync(["i-1"]); // a second time: one duplicate
        await SendAsync(["i-1", "i-3"]); // a third time: still one intent sent twice or more
        Assert.Equal((5, 3, 1), await StatsAsync());

        await SendAsync(["i-2"]);
        Assert.Equal((6, 3, 2), await StatsAsync());

        _fake.Reset();
        await SendAsync(["i-1"]);
        Assert.Equal((1, 1, 0), await StatsAsync());
    }

    private async Task SendAsync(string[] intentIds)
    {
        using var response = await _http.PostAsJsonAsync("v3/mail/send", new
        {
            personalizations = intentIds.Select(id => new { to = new[] { new { email = id + "@example.org" } }, custom_args = new { intent_id = id } }),
            from = new { email = "clinic@example.org" },
            subject = "Your appointment",
            content = new[] { new { type = "text/plain", value = "See you tomorrow." } },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task<(long Accepted, long Intents, long Duplicates)> StatsAsync()
    {
        using var json = JsonDocument.Parse(await _http.GetStringAsync(new Uri("_fake/stats", UriKind.Relative)));
        var r = json.RootElement;
        return (r.GetProperty("accepted").GetInt64(), r.GetProperty("intents").GetInt64(), r.GetProperty("duplicates").GetInt64());
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using CommsGateway.Providers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CommsGateway.IntegrationTests.Providers;

/// <summary>
/// Campaign email in bulk, at the HTTP boundary: the gateway's own provider registrations (dispatcher, bulk sender,
/// resilience pipeline) against a private fake SendGrid that applies personalizations like SendGrid does, so what the
/// fake recorded per recipient is what that patient would receive.
/// </summary>
public sealed class SendGridBulkTests
{
    private const string Tenant = "t-bulk";

    [Fact]
    public async Task Should_send_a_campaign_in_ceil_N_over_1000_requests_each_recipient_getting_exactly_their_own_email()
    {
        await using var fake = await FakeProviderServer.StartAsync();
        using var host = ProvidersOnly(fake);
        var campaign = "cmp-" + Guid.NewGuid().ToString("N")[..8];
        var messages = Enumerable.Range(0, 2_100).Select(i => Campaign(campaign, i)).ToList();

        var results = await host.Services.GetRequiredService<IMessageDispatcher>().DispatchManyAsync(messages, CancellationToken.None);

        Assert.Equal(messages.Count, results.Count);
        Assert.All(results, r => Assert.True(r.Succeeded, r.Detail));
        Assert.Equal(3, fake.SendGridRequests); // ceil(2,100 / 1,000)
        Assert.Equal(3, results.Select(r => r.ProviderMessageId).Distinct().Count()); // one answer per request, shared by its members
        AssertEachGotTheirOwn(fake, messages);
    }

    [Fact]
    public async Task Should_share_requests_when_each_footer_also_carries_the_recipients_preference_link_with_the_same_token()
    {
        await using var fake = await FakeProviderServer.StartAsync();
        using var host = ProvidersOnly(fake);
        var campaign = "cmp-" + Guid.NewGuid().ToString("N")[..8];
        var messages = Enumerable.Range(0, 1_500).Select(i => Campaign(campaign, i, withPreferences: true)).ToList();

        var results = await host.Services.GetRequiredService<IMessageDispatcher>().DispatchManyAsync(messages, CancellationToken.None);

        Assert.All(results, r => Assert.True(r.Succeeded, r.Detail));
        Assert.Equal(2, fake.SendGridRequests); // ceil(1,500 / 1,000): the second link is a substitution too
        AssertEachGotTheirOwn(fake, messages);
    }

    [Fact]
    public async Task Should_respect_a_lower_personalization_limit_and_send_a_message_that_does_not_fit_the_group_on_its_own()
    {
        await using var fake = await FakeProviderServer.StartAsync();
        using var host = ProvidersOnly(fake, new() { ["SendGrid:BulkMaxPersonalizations"] = "40" });
        var campaign = "cmp-" + Guid.NewGuid().ToString("N")[..8];
        var messages = Enumerable.Range(0, 100).Select(i => Campaign(campaign, i)).ToList();
        // Same campaign, a body sharing nothing with the others (another template): it goes alone.
        messages.Add(Campaign(campaign, 100, body: "Hello there. Our summer offers are here: 15% off every laser session in July."));
        // Its own text holds the tag marker: substitution could change it, so it goes alone.
        messages.Add(Campaign(campaign, 101, body: "Bonjour Léa,\nCode promo [%cgw-text%] : -20 % sur les peelings ce mois-ci, réservez !"));

        var results = await host.Services.GetRequiredService<IMessageDispatcher>().DispatchManyAsync(messages, CancellationToken.None);

        Assert.All(results, r => Assert.True(r.Succeeded, r.Detail));
        Assert.Equal(3 + 2, fake.SendGridRequests); // ceil(100 / 40) shared requests + the two singles
        var sharing = results.Take(100).Select(r => r.ProviderMessageId).ToHashSet();
        Assert.Equal(3, sharing.Count);
        Assert.DoesNotContain(results[100].ProviderMessageId, sharing);
        Assert.DoesNotContain(results[101].ProviderMessageId, sharing);
        Assert.NotEqual(results[100].ProviderMessageId, results[101].ProviderMessageId);
        AssertEachGotTheirOwn(fake, messages);
    }

    [Fact]
    public async Task Should_fail_every_message_of_a_request_SendGrid_refuses_with_its_code_and_send_other_requests()
    {
        await using var fake = await FakeProviderServer.StartAsync();
        using var host = ProvidersOnly(fake, new() { ["SendGrid:BulkMaxPersonalizations"] = "10" });
        var campaign = "cmp-" + Guid.NewGuid().ToString("N")[..8];
        var messages = Enumerable.Range(0, 20).Select(i => Campaign(campaign, i)).ToList();
        messages[3] = messages[3] with { To = "someone" + FakeProviderServer.RejectedEmailDomain };

        var results = await host.Services.GetRequiredService<IMessageDispatcher>().DispatchManyAsync(messages, CancellationToken.None);

        // Members join requests in arrival order: the first ten share the refused request.
        Assert.All(results.Take(10), r =>
        {
            Assert.False(r.Succeeded);
            Assert.True(r.Permanent);
            Assert.Equal((ReasonCodes.ProviderRejected, "400"), (r.ReasonCode, r.ProviderErrorCode));
            Assert.Contains("personalizations.3.to.0.email", r.Detail, StringComparison.Ordinal);
        });
        Assert.All(results.Skip(10), r => Assert.True(r.Succeeded, r.Detail));
        Assert.Equal(2, fake.SendGridRequests); // the refused request was not retried
        Assert.Equal(messages.Skip(10).Select(m => m.IntentId).Order(), fake.Accepted.Select(a => a.IntentId).Order());
    }

    [Fact]
    public async Task Should_refuse_what_SendGrid_refuses_with_its_error_JSON()
    {
        await using var fake = await FakeProviderServer.StartAsync();
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fake.Options.SendGridApiKey);

        object Personalization(int i, string? substitution = null) => new
        {
            to = new[] { new { email = $"p{i}@example.org" } },
            substitutions = new Dictionary<string, string> { ["-name-"] = substitution ?? "Léa" },
        };
        async Task<(HttpStatusCode Status, string? Field, string Message)> PostAsync(object[] personalizations, string? subject = "Offre -name-")
        {
            using var response = await http.PostAsJsonAsync($"{fake.BaseUrl}/v3/mail/send", new
            {
                personalizations,
                from = new { email = "rendez-vous@clinique.example" },
                subject,
                content = new[] { new { type = "text/plain", value = "Bonjour -name-" } },
            });
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var error = json.RootElement.GetProperty("errors")[0];
            return (response.StatusCode, error.GetProperty("field").GetString(), error.GetProperty("message").GetString()!);
        }

        var tooMany = await PostAsync([.. Enumerable.Range(0, 1_001).Select(i => Personalization(i))]);
        var tooLarge = await PostAsync([Personalization(0), Personalization(1, new string('x', 10_000))]);
        var noTo = await PostAsync([Personalization(0), new { substitutions = new Dictionary<string, string>() }]);
        var noSubject = await PostAsync([Personalization(0)], subject: null);

        Assert.Equal((HttpStatusCode.BadRequest, "personalizations"), (tooMany.Status, tooMany.Field));
        Assert.Contains("1000", tooMany.Message, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.BadRequest, "personalizations.1.substitutions"), (tooLarge.Status, tooLarge.Field));
        Assert.Equal((HttpStatusCode.BadRequest, "personalizations.1.to"), (noTo.Status, noTo.Field));
        Assert.Equal((HttpStatusCode.BadRequest, "subject"), (noSubject.Status, noSubject.Field));
        Assert.Empty(fake.Accepted);
        Assert.Equal(4, fake.SendGridRequests);

        // Exactly 1,000 is accepted, each personalization its own message with its substitutions applied.
        using var ok = await http.PostAsJsonAsync($"{fake.BaseUrl}/v3/mail/send", new
        {
            personalizations = Enumerable.Range(0, 1_000).Select(i => Personalization(i, "P" + i.ToString(CultureInfo.InvariantCulture))).ToArray(),
            from = new { email = "rendez-vous@clinique.example" },
            subject = "Offre -name-",
            content = new[] { new { type = "text/plain", value = "Bonjour -name-" } },
        });
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        Assert.Equal(1_000, fake.Accepted.Count);
        var p7 = Assert.Single(fake.Accepted, a => a.To == "p7@example.org");
        Assert.Equal(("Offre P7", "Bonjour P7"), (p7.Subject, p7.Text));
    }

    /// <summary>Subject, text, HTML, link and headers as rendered for that recipient, byte for byte, and ids only in custom_args.</summary>
    private static void AssertEachGotTheirOwn(FakeProviderServer fake, IReadOnlyList<OutboundMessage> messages)
    {
        var accepted = fake.Accepted.ToDictionary(a => a.IntentId!);
        Assert.Equal(messages.Count, accepted.Count); // nobody twice (ToDictionary throws on a duplicate), nobody missing
        foreach (var message in messages)
        {
            var got = accepted[message.IntentId];
            Assert.Equal(message.To, got.To);
            Assert.Equal(message.DecisionId.ToString(), got.DecisionId);
            Assert.Equal(message.Subject, got.Subject);
            Assert.Equal(message.Text, got.Text);
            Assert.Equal(message.Html, got.Html);
            Assert.Contains(message.UnsubscribeUrl!.AbsoluteUri, got.Text, StringComparison.Ordinal);
            // RFC 8058 per personalization: this recipient's own link, and the exact one-click value.
            Assert.Equal($"<{message.UnsubscribeUrl.AbsoluteUri}>", got.Headers[MessageRenderer.ListUnsubscribe]);
            Assert.Equal(MessageRenderer.OneClick, got.Headers[MessageRenderer.ListUnsubscribePost]);
            Assert.Equal(new[] { "marketing", "campaign" }, got.Categories.ToArray());
            Assert.Equal(("rendez-vous@clinique.example", "Clinique des Lilas", "accueil@clinique.example"), (got.From, got.FromName, got.ReplyTo));
        }
    }

    /// <summary>A campaign email as the gateway renders it: the recipient's name in subject, text and HTML; their own signed link.</summary>
    private static OutboundMessage Campaign(string campaignId, int i, string? body = null, bool withPreferences = false)
    {
        var n = i.ToString("D5", CultureInfo.InvariantCulture);
        var name = i % 3 == 0 ? "Anne-" + n : i % 3 == 1 ? "Zoé " + n : "Ó'Brien & \"Co\" " + n; // accents, HTML escaping
        var token = $"{Guid.NewGuid():N}{n}";
        var link = new Uri($"https://gw.example/u/{token}");
        var rendered = MessageRenderer.Render(new RenderRequest(Channel.Email, Purpose.Marketing, UnsubscribeLocale.Fr,
            $"{name}, -20 % sur les peelings",
            body ?? $"Bonjour {name},\nLa Clinique des Lilas : -20 % sur les peelings ce mois-ci, réservez !",
            $"<html><body><p>Bonjour {MessageRenderer.Escape(name)},</p><p>-20 % sur les peelings ce mois-ci.</p></body></html>")
        {
            UnsubscribeUrl = link,
            PreferencesUrl = withPreferences ? new Uri($"https://gw.example/p/{token}") : null,
            ClinicName = "Clinique des Lilas",
        });
        return new OutboundMessage
        {
            DecisionId = Guid.CreateVersion7(),
            IntentId = $"cmp:{campaignId}:p-{n}:email",
            TenantId = Tenant,
            Channel = Channel.Email,
            Purpose = Purpose.Marketing,
            Category = "campaign",
            CampaignId = campaignId,
            To = $"patient-{n}@example.org",
            Sender = FakeProviderSettings.SenderFor(Tenant),
            Subject = rendered.Subject,
            Text = rendered.Text,
            Html = rendered.Html,
            Headers = rendered.Headers,
            UnsubscribeUrl = rendered.UnsubscribeUrl,
        };
    }

    /// <summary>
    /// The gateway's provider registrations and nothing else. A long linger and quiet gap: every message handed over in
    /// one call joins its group before any request leaves, so request counts do not depend on this machine's speed.
    /// </summary>
    private static IHost ProvidersOnly(FakeProviderServer fake, Dictionary<string, string?>? overrides = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(FakeProviderSettings.For(fake));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SendGrid:BulkLingerMilliseconds"] = "5000",
            ["SendGrid:BulkQuietMilliseconds"] = "1000",
        });
        builder.Configuration.AddInMemoryCollection(overrides ?? []);
        builder.AddProviders();
        builder.Services.Replace(ServiceDescriptor.Singleton<IProviderOptOutSink, NoOptOuts>());
        return builder.Build(); // not started: no reconciler, no database
    }

    private sealed class NoOptOuts : IProviderOptOutSink
    {
        public Task RecordAsync(ProviderOptOut optOut, CancellationToken ct) => Task.CompletedTask;
    }
}

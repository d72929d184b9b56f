using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using CommsGateway.Contracts;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace CommsGateway.IntegrationTests.Features.Unsubscribe;

/// <summary>
/// A marketing email really goes through the gateway to the fake SendGrid; the message it received is rebuilt as MIME
/// (MimeKit) and its RFC 2369 / RFC 8058 headers are checked; the one-click POST to the header's URL withdraws at once.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class OneClickEndToEndTests(GatewayFixture gateway)
{
    private const string OneClickBody = "List-Unsubscribe=One-Click";

    /// <summary>RFC 2369 section 2: a comma-separated list of angle-bracketed URLs; the one-click one must be HTTP(S) (RFC 8058 section 3.1).</summary>
    [GeneratedRegex(@"^\s*<(?<url>https?://[^<>\s]+)>(\s*,\s*<[^<>\s]+>)*\s*$")]
    private static partial Regex ListUnsubscribe();

    private async Task<(string Tenant, string Patient, AcceptedMessage Accepted, MessageDecided Decided)> SendMarketingEmailAsync()
    {
        var (tenant, patient) = (Seed.NewTenant(), Seed.NewPatient());
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), Seed.NewMobile(), Channel.Email);
        var intent = Seed.Marketing(tenant, patient, Channel.Email, "spring-peel");
        await gateway.PublishAsync(intent);
        var decided = Assert.Single(await gateway.WaitForDecidedAsync(intent.IntentId));
        Assert.Equal(DecisionOutcome.Sent, decided.Outcome);
        return (tenant, patient, Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId), decided);
    }

    /// <summary>The message as a mail client would receive it: written as MIME and parsed back.</summary>
    private static MimeMessage AsMime(AcceptedMessage accepted)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(accepted.From));
        message.To.Add(MailboxAddress.Parse(accepted.To));
        message.Subject = accepted.Subject ?? "";
        foreach (var (name, value) in accepted.Headers)
        {
            message.Headers.Add(name, value);
        }

        message.Body = new BodyBuilder { TextBody = accepted.Text, HtmlBody = accepted.Html }.ToMessageBody();
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        stream.Position = 0;
        return MimeMessage.Load(stream);
    }

    private static Uri OneClickUrl(MimeMessage message)
    {
        var match = ListUnsubscribe().Match(message.Headers[HeaderId.ListUnsubscribe] ?? "");
        Assert.True(match.Success, "List-Unsubscribe is not an angle-bracketed http(s) URL list: " + message.Headers[HeaderId.ListUnsubscribe]);
        return new Uri(match.Groups["url"].Value);
    }

    private HttpClient Client()
    {
        var client = gateway.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.UserAgent.ParseAdd("MailboxProvider-OneClick/1.0");
        return client;
    }

    [Fact]
    public async Task Should_carry_both_headers_and_the_footer_and_withdraw_on_one_click_so_the_next_campaign_is_blocked()
    {
        var (tenant, patient, accepted, _) = await SendMarketingEmailAsync();
        var mime = AsMime(accepted);

        var url = OneClickUrl(mime);
        Assert.Equal("List-Unsubscribe=One-Click", mime.Headers["List-Unsubscribe-Post"]);
        Assert.Contains(url.AbsoluteUri, mime.TextBody, StringComparison.Ordinal);
        Assert.Contains($"href=\"{url.AbsoluteUri}\"", mime.HtmlBody, StringComparison.Ordinal);
        Assert.Equal("/u/", url.AbsolutePath[..3]);
        Assert.DoesNotContain(patient, url.AbsoluteUri, StringComparison.Ordinal);
        Assert.DoesNotContain(accepted.To, url.AbsoluteUri, StringComparison.OrdinalIgnoreCase);

        using var client = Client();
        using var response = await client.PostAsync(url.PathAndQuery, new StringContent(OneClickBody, Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        var withdrawal = (await Seed.LedgerAsync(gateway, tenant, patient))[^1];
        Assert.Equal(("email", "withdraw", "unsubscribe_link", "MailboxProvider-OneClick/1.0"),
            (withdrawal.Channel, withdrawal.Action, withdrawal.Source, withdrawal.UserAgent));
        Assert.Contains("\"method\": \"one_click\"", withdrawal.Evidence, StringComparison.Ordinal);
        var activeKey = gateway.Services.GetRequiredService<Core.Unsubscribe.UnsubscribeTokens>().ActiveKeyId;
        Assert.Contains($"\"key_id\": \"{activeKey}\"", withdrawal.Evidence, StringComparison.Ordinal);
        // TestServer gives no remote address: the column stays empty rather than holding a made-up one.
        Assert.Null(withdrawal.Ip);

        var next = Seed.Marketing(tenant, patient, Channel.Email, "summer");
        var decision = await Seed.DecideAsync(gateway, next);
        Assert.Equal("Blocked", decision.Outcome);
        Assert.Contains(ReasonCodes.NoMarketingConsent, decision.Reasons);
        Assert.DoesNotContain(gateway.Fake.Accepted, m => m.IntentId == next.IntentId);
    }

    [Fact]
    public async Task Should_change_nothing_on_GET_so_a_mail_scanner_prefetch_unsubscribes_nobody()
    {
        var (tenant, patient, accepted, _) = await SendMarketingEmailAsync();
        var url = OneClickUrl(AsMime(accepted));
        using var client = Client();

        for (var i = 0; i < 2; i++)
        {
            using var get = await client.GetAsync(url.PathAndQuery);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }

        var ledger = await Seed.LedgerAsync(gateway, tenant, patient);
        Assert.Equal("grant", Assert.Single(ledger).Action);
        var next = Seed.Marketing(tenant, patient, Channel.Email);
        await gateway.PublishAsync(next);
        Assert.Equal(DecisionOutcome.Sent, Assert.Single(await gateway.WaitForDecidedAsync(next.IntentId)).Outcome);
    }

    [Fact]
    public async Task Should_refuse_a_forged_token_with_400_and_leave_the_ledger_unchanged()
    {
        var (tenant, patient, accepted, _) = await SendMarketingEmailAsync();
        var url = OneClickUrl(AsMime(accepted));
        var token = url.AbsolutePath["/u/".Length..];
        var at = token.Length / 2;
        var forged = token[..at] + (token[at] == 'A' ? 'B' : 'A') + token[(at + 1)..];
        using var client = Client();

        using var response = await client.PostAsync("/u/" + forged, new StringContent(OneClickBody, Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("grant", Assert.Single(await Seed.LedgerAsync(gateway, tenant, patient)).Action);
    }
}

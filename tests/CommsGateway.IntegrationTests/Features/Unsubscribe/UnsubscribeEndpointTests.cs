using System.Net;
using System.Security.Cryptography;
using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Unsubscribe;

[Collection(GatewayCollection.Name)]
public sealed class UnsubscribeEndpointTests(GatewayFixture gateway)
{
    private const string OneClickBody = "List-Unsubscribe=One-Click";

    private sealed record EventRow(string PatientId, string Channel, string Scope, string Method, string? CampaignId, string KeyId, string? UserAgent);

    private UnsubscribeLinks Links => gateway.Services.GetRequiredService<UnsubscribeLinks>();

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private async Task<(string Tenant, string Path)> IssueAsync(Channel channel = Channel.Email, UnsubscribeLocale locale = UnsubscribeLocale.Fr)
    {
        var tenant = NewId("t");
        var url = await Links.IssueAsync(tenant, "p-1002", channel, UnsubscribeScope.Channel, locale, "spring-peel", CancellationToken.None);
        return (tenant, url.PathAndQuery);
    }

    private HttpClient Client()
    {
        var client = gateway.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.UserAgent.ParseAdd("MailboxProvider-OneClick/1.0");
        return client;
    }

    private async Task<IReadOnlyList<EventRow>> EventsAsync(string tenant)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return (await connection.QueryAsync<EventRow>(
            "select patient_id, channel, scope, method, campaign_id, key_id, user_agent from unsubscribe_events where tenant_id = @tenant order by seq",
            new { tenant })).ToList();
    }

    private static FormUrlEncodedContent Form(string key, string value) => new([new(key, value)]);

    [Fact]
    public async Task Should_show_the_page_naming_the_channel_and_change_nothing_on_GET()
    {
        var (tenant, path) = await IssueAsync();
        using var client = Client();

        using var first = await client.GetAsync(path);
        using var second = await client.GetAsync(path);
        var html = await first.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("text/html", first.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html lang=\"fr\">", html, StringComparison.Ordinal);
        Assert.Contains($"<strong>{tenant}</strong>", html, StringComparison.Ordinal);
        Assert.Contains("name=\"scope\" value=\"channel\">Ne plus recevoir d&#39;offres par e-mail", html, StringComparison.Ordinal);
        Assert.Contains("name=\"scope\" value=\"all\"", html, StringComparison.Ordinal);
        Assert.Equal("no-referrer", first.Headers.GetValues("Referrer-Policy").Single());
        Assert.Empty(await EventsAsync(tenant));
    }

    [Fact]
    public async Task Should_withdraw_at_once_on_a_one_click_post_with_evidence()
    {
        var (tenant, path) = await IssueAsync();
        using var client = Client();

        using var response = await client.PostAsync(path, new StringContent(OneClickBody, Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        var row = Assert.Single(await EventsAsync(tenant));
        var activeKey = gateway.Services.GetRequiredService<UnsubscribeTokens>().ActiveKeyId;
        Assert.Equal(new EventRow("p-1002", "email", "channel", "one_click", "spring-peel", activeKey, "MailboxProvider-OneClick/1.0"), row);
    }

    [Fact]
    public async Task Should_accept_the_one_click_body_as_multipart_form_data()
    {
        var (tenant, path) = await IssueAsync(Channel.Sms);
        using var client = Client();
        using var multipart = new MultipartFormDataContent { { new StringContent("One-Click"), "List-Unsubscribe" } };

        using var response = await client.PostAsync(path, multipart);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("sms", Assert.Single(await EventsAsync(tenant)).Channel);
    }

    [Fact]
    public async Task Should_record_the_scope_chosen_on_the_page_and_confirm()
    {
        var (tenant, path) = await IssueAsync(Channel.WhatsApp, UnsubscribeLocale.En);
        using var client = Client();

        using var response = await client.PostAsync(path, Form("scope", "all"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("You are unsubscribed", html, StringComparison.Ordinal);
        var rows = await EventsAsync(tenant);
        Assert.Equal(["email", "sms", "whatsapp"], rows.Select(r => r.Channel).Order());
        Assert.All(rows, r => Assert.Equal(("all_marketing", "page"), (r.Scope, r.Method)));
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", "List-Unsubscribe=Yes")]
    [InlineData("application/x-www-form-urlencoded", "")]
    [InlineData("application/x-www-form-urlencoded", "scope=everything")]
    [InlineData("application/json", """{"List-Unsubscribe":"One-Click"}""")]
    [InlineData("text/plain", "List-Unsubscribe=One-Click")]
    public async Task Should_refuse_any_other_body_and_record_nothing(string contentType, string body)
    {
        var (tenant, path) = await IssueAsync();
        using var client = Client();

        using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await EventsAsync(tenant));
    }

    [Fact]
    public async Task Should_answer_forged_tokens_with_the_same_neutral_page_and_record_nothing()
    {
        var (tenant, path) = await IssueAsync(locale: UnsubscribeLocale.En);
        var token = path["/u/".Length..];
        var tokens = gateway.Services.GetRequiredService<UnsubscribeTokens>();
        var claims = tokens.Verify(token, DateTimeOffset.UtcNow).Claims!;
        // Same key id as the gateway's, another secret: what a forger who read the id in a token would try.
        var otherKey = new UnsubscribeTokens(new UnsubscribeKeyRing([new UnsubscribeKey(claims.KeyId, RandomNumberGenerator.GetBytes(32))], claims.KeyId));
        var reSigned = otherKey.Issue(tenant, claims.SubscriberRef, Channel.Email, UnsubscribeScope.AllMarketing, UnsubscribeLocale.En, null, DateTimeOffset.UtcNow);
        var flipped = token[..10] + (token[10] == 'A' ? 'B' : 'A') + token[11..];
        using var client = Client();
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en-GB");

        var pages = new List<string>();
        foreach (var forged in new[] { reSigned, flipped, token[..^4], "nonexistent" })
        {
            using var get = await client.GetAsync("/u/" + forged);
            using var post = await client.PostAsync("/u/" + forged, new StringContent(OneClickBody, Encoding.ASCII, "application/x-www-form-urlencoded"));
            Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
            pages.Add(await get.Content.ReadAsStringAsync());
            pages.Add(await post.Content.ReadAsStringAsync());
        }

        Assert.Single(pages.Distinct());
        Assert.Contains("This unsubscribe link is not valid", pages[0], StringComparison.Ordinal);
        Assert.DoesNotContain(tenant, pages[0], StringComparison.Ordinal);
        Assert.Empty(await EventsAsync(tenant));
    }

    [Fact]
    public async Task Should_make_repeating_harmless()
    {
        var (tenant, path) = await IssueAsync();
        using var client = Client();

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.PostAsync(path, new StringContent(OneClickBody, Encoding.ASCII, "application/x-www-form-urlencoded"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var rows = await EventsAsync(tenant);
        Assert.Equal(3, rows.Count); // each request is evidence ...
        Assert.Single(rows.Select(r => (r.PatientId, r.Channel, r.Scope)).Distinct()); // ... of the same single withdrawal
    }

    [Fact]
    public async Task Should_unsubscribe_through_the_link_a_rendered_marketing_email_carries()
    {
        var tenant = NewId("t");
        var intent = new MessageIntent
        {
            IntentId = NewId("i"), TenantId = tenant, PatientId = "p-7", Channel = Channel.Email, DeclaredPurpose = Purpose.Marketing,
            Category = "campaign", Locale = "en", Subject = "Spring offer", Body = "-20% on peels this month.", Html = "<html><body><p>-20%</p></body></html>",
        };

        var rendered = await Links.RenderAsync(intent, Purpose.Marketing, null, CancellationToken.None);
        var header = rendered.Headers["List-Unsubscribe"];
        var url = new Uri(header.Trim('<', '>'));

        Assert.Equal("List-Unsubscribe=One-Click", rendered.Headers["List-Unsubscribe-Post"]);
        Assert.Contains(url.AbsoluteUri, rendered.Text, StringComparison.Ordinal);
        Assert.Contains($"href=\"{url.AbsoluteUri}\"", rendered.Html, StringComparison.Ordinal);
        using var client = Client();
        using var response = await client.PostAsync(url.PathAndQuery, new StringContent(OneClickBody, Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("p-7", "email", "one_click"), Assert.Single(await EventsAsync(tenant)) is var r ? (r.PatientId, r.Channel, r.Method) : default);
    }

    [Fact]
    public async Task Should_keep_unsubscribe_events_append_only()
    {
        var (tenant, path) = await IssueAsync();
        using var client = Client();
        using var _ = await client.PostAsync(path, Form("scope", "channel"));
        await using var connection = await gateway.Db.OpenConnectionAsync();

        var update = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            connection.ExecuteAsync("update unsubscribe_events set channel = 'sms' where tenant_id = @tenant", new { tenant }));
        var delete = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            connection.ExecuteAsync("delete from unsubscribe_events where tenant_id = @tenant", new { tenant }));

        Assert.Equal("42501", update.SqlState);
        Assert.Equal("42501", delete.SqlState);
        Assert.Single(await EventsAsync(tenant));
    }

    [Fact]
    public async Task Should_map_one_reference_per_patient_and_keep_the_patient_id_out_of_the_link()
    {
        var tenant = NewId("t");
        var first = await Links.IssueAsync(tenant, "p-42", Channel.Sms, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, null, CancellationToken.None);
        var second = await Links.IssueAsync(tenant, "p-42", Channel.Email, UnsubscribeScope.AllMarketing, UnsubscribeLocale.En, "c-1", CancellationToken.None);
        await using var connection = await gateway.Db.OpenConnectionAsync();

        var mapped = (await connection.QueryAsync<(string Ref, string Patient)>(
            "select subscriber_ref, patient_id from unsubscribe_subscribers where tenant_id = @tenant", new { tenant })).ToList();

        Assert.NotEqual(first, second);
        Assert.Equal("p-42", Assert.Single(mapped).Patient);
        Assert.DoesNotContain("p-42", first.AbsoluteUri, StringComparison.Ordinal);
        Assert.DoesNotContain(mapped[0].Ref, first.AbsoluteUri, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Should_refuse_an_oversized_body()
    {
        var (tenant, path) = await IssueAsync();
        using var client = Client();

        using var response = await client.PostAsync(path, new StringContent(
            OneClickBody + "&padding=" + new string('x', 10_000), Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await EventsAsync(tenant));
    }

    [Fact]
    public async Task Should_record_the_caller_ip_and_the_signing_key_in_the_consent_ledger()
    {
        var (tenant, path) = await IssueAsync();

        var context = await SendOneClickAsync(path, IPAddress.Parse("203.0.113.7"), forwardedFor: null);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var (ip, keyId, method, userAgent) = await connection.QuerySingleAsync<(string, string, string, string)>("""
            select ip, evidence->>'key_id', evidence->>'method', user_agent from consent_events
            where tenant_id = @tenant and patient_id = 'p-1002' and source = 'unsubscribe_link' and action = 'withdraw'
            """, new { tenant });
        var activeKey = gateway.Services.GetRequiredService<UnsubscribeTokens>().ActiveKeyId;
        Assert.Equal(("203.0.113.7", activeKey, "one_click", "MailboxProvider-OneClick/1.0"), (ip, keyId, method, userAgent));
        Assert.Equal("203.0.113.7", await connection.QuerySingleAsync<string>(
            "select host(ip) from unsubscribe_events where tenant_id = @tenant", new { tenant }));
    }

    [Theory]
    [InlineData("127.0.0.1", "198.51.100.23", "198.51.100.23")] // the TLS proxy on this host: the patient's address
    [InlineData("203.0.113.7", "198.51.100.23", "203.0.113.7")] // anyone else cannot plant an address in the evidence
    public async Task Should_believe_X_Forwarded_For_only_from_a_trusted_proxy(string remote, string forwardedFor, string recorded)
    {
        var (tenant, path) = await IssueAsync();

        var context = await SendOneClickAsync(path, IPAddress.Parse(remote), forwardedFor);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(recorded, await connection.QuerySingleAsync<string>("""
            select ip from consent_events
            where tenant_id = @tenant and source = 'unsubscribe_link' and action = 'withdraw'
            """, new { tenant }));
    }

    /// <summary>A one-click POST as Kestrel would hand it over: TestServer lets the request carry a remote address.</summary>
    private Task<HttpContext> SendOneClickAsync(string path, IPAddress remote, string? forwardedFor)
    {
        var body = Encoding.ASCII.GetBytes(OneClickBody);
        return gateway.Factory.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Post;
            c.Request.Path = path;
            c.Request.ContentType = "application/x-www-form-urlencoded";
            c.Request.ContentLength = body.Length;
            c.Request.Body = new MemoryStream(body);
            c.Request.Headers.UserAgent = "MailboxProvider-OneClick/1.0";
            if (forwardedFor is not null)
            {
                c.Request.Headers["X-Forwarded-For"] = forwardedFor;
            }

            c.Connection.RemoteIpAddress = remote;
        });
    }
}

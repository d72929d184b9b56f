using CommsGateway.BrowserTests.Infrastructure;
using CommsGateway.Features.Console.Staff;
using Dapper;
using Microsoft.Playwright;

namespace CommsGateway.BrowserTests.Console;

/// <summary>
/// The per-address sign-in limit (<c>Console:SignInAttemptsPerMinute</c>) on a gateway of its own where the limit is 3:
/// the other console tests run with a limit high enough never to be reached.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class SignInRateLimitTests(Chromium chromium, StrictSignInGateway gateway) : BrowserTest(chromium), IClassFixture<StrictSignInGateway>
{
    [Fact]
    public async Task Should_answer_beyond_the_limit_with_the_429_page_and_retry_after_and_sign_nobody_in_even_with_the_right_credentials()
    {
        var dpo = await ConsoleSession.NewStaffAsync(gateway, StaffRoles.Dpo);
        var page = await ConsoleSession.NewPageAsync(Pages, gateway);
        // The form is filled with the right address, password and code before the limit is spent (reading it is not limited).
        Assert.Equal(200, (await page.GotoAsync("/console/signin"))!.Status);
        await page.FillAsync("#email", dpo.Email);
        await page.FillAsync("#password", dpo.Password);
        await page.FillAsync("#code", ConsoleSession.CodeOf(dpo.Secret));

        // Sign-in POSTs from the same address, for an address that names no account: each one counts, whatever it
        // carries (without an antiforgery token they are refused with 400), until the limit answers 429.
        using var http = new HttpClient { BaseAddress = gateway.BaseUrl };
        var statuses = new List<int>();
        string? retryAfter = null;
        for (var attempt = 0; attempt <= gateway.SignInAttemptsPerMinute; attempt++)
        {
            using var response = await http.PostAsync(new Uri("/console/signin", UriKind.Relative), new FormUrlEncodedContent(
                [new("Email", "nobody@clinic.example"), new("Password", "not the password"), new("Code", "000000")]));
            statuses.Add((int)response.StatusCode);
            retryAfter = response.Headers.RetryAfter?.ToString();
        }

        Assert.Equal([.. Enumerable.Repeat(400, gateway.SignInAttemptsPerMinute), 429], statuses);
        Assert.Equal("60", retryAfter);

        // The right credentials, from the same address, within the same minute: the 429 page, and no session.
        await ConsoleSession.MarkSubmittingAsync(page);
        var refused = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("button[type=submit]"), r => r.Request.Method == "POST");
        Assert.Equal(429, refused.Status);
        Assert.Equal("60", await refused.HeaderValueAsync("retry-after"));
        Assert.StartsWith("text/html", await refused.HeaderValueAsync("content-type"), StringComparison.Ordinal);
        await ConsoleSession.WaitForAnswerAsync(page);
        Assert.Equal("Too many sign-in attempts", (await page.InnerTextAsync("h1")).Trim());
        Assert.Contains("wait a minute", await page.InnerTextAsync("[role=alert]"), StringComparison.Ordinal);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "commsgw-console");
        await ConsoleSession.CheckPageAsync(page, "signin-limit");
        await page.GotoAsync("/console/access-log");
        Assert.Equal("/console/signin", new Uri(page.Url).AbsolutePath); // not signed in: sent to the sign-in page
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "select count(*) from console_access_log where lower(staff_email) = lower(@email)", new { email = dpo.Email }));
    }
}

using CommsGateway.BrowserTests.Infrastructure;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Console.Staff;
using Deque.AxeCore.Playwright;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OtpNet;

namespace CommsGateway.BrowserTests.Console;

/// <summary>A staff account of the test clinic and the browser steps every console test shares.</summary>
internal sealed record StaffLogin(string Email, string Password, string Secret, string Role);

internal static class ConsoleSession
{
    public static async Task<StaffLogin> NewStaffAsync(KestrelGateway gateway, string role, bool enrolled = true)
    {
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "insert into tenants (tenant_id, name) values (@tenant, @name) on conflict do nothing",
                new { tenant = KestrelGateway.Tenant, name = KestrelGateway.ClinicName });
        }

        var email = $"{role}-{Guid.NewGuid():N}"[..20] + "@clinic.example";
        var created = await gateway.Services.GetRequiredService<StaffAccounts>()
            .AddAsync(KestrelGateway.Tenant, email, $"Test {role}", role, null, new Actor("tests"), CancellationToken.None, enrolled);
        return new StaffLogin(created.Email, created.Password, created.TotpSecret, role);
    }

    public static string CodeOf(string secret) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow);

    /// <summary>A page in a fresh context: its own cookie jar, the given language, CSP bypassed only so axe-core can be injected.</summary>
    public static async Task<IPage> NewPageAsync(TestPages pages, KestrelGateway gateway, string locale = "en-GB", int width = 1280)
    {
        var page = await pages.NewPageAsync(new BrowserNewContextOptions
        {
            BaseURL = gateway.BaseUrl.AbsoluteUri, Locale = locale, BypassCSP = true,
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
        });
        // The whole suite shares two cores with the integration tests: a sign-in (password hash, TOTP) can take long.
        page.Context.SetDefaultTimeout(120_000);
        page.Context.SetDefaultNavigationTimeout(120_000);
        return page;
    }

    /// <summary>A new enrolled staff member of <paramref name="role"/>, signed in on a new page.</summary>
    public static async Task<(StaffLogin Staff, IPage Page)> SignedInAsync(TestPages pages, KestrelGateway gateway, string role, string locale = "en-GB")
    {
        var staff = await NewStaffAsync(gateway, role);
        var page = await NewPageAsync(pages, gateway, locale);
        await SignInAsync(page, staff);
        return (staff, page);
    }

    /// <summary>Address, password and the current TOTP code (computed here as an authenticator app would).</summary>
    public static async Task SignInAsync(IPage page, StaffLogin login, string? code = null)
    {
        var response = await page.GotoAsync("/console/signin");
        Assert.True(response?.Status == 200, $"sign-in page: {response?.Status} {(response is null ? "" : await response.TextAsync())}");
        await page.FillAsync("#email", login.Email);
        await page.FillAsync("#password", login.Password);
        await page.FillAsync("#code", code ?? CodeOf(login.Secret));
        await MarkSubmittingAsync(page);
        await page.ClickAsync("button[type=submit]");
        await WaitForAnswerAsync(page);
    }

    /// <summary>Marks the current document before a form is submitted, for <see cref="WaitForAnswerAsync"/>.</summary>
    public static Task MarkSubmittingAsync(IPage page) => page.EvaluateAsync("() => { window.commsgwSubmitted = true; }");

    /// <summary>
    /// Until the answer's own document is ready: the mark lives only on the page that submitted. (A load-state wait
    /// right after the click can miss the new document's event and hang; a polled condition cannot.)
    /// </summary>
    public static Task WaitForAnswerAsync(IPage page) =>
        page.WaitForFunctionAsync("() => window.commsgwSubmitted !== true && document.readyState !== 'loading'");

    /// <summary>
    /// Until the page is at a URL matching <paramref name="glob"/> (Playwright's glob: <c>**</c> any characters, <c>*</c> any
    /// but <c>/</c>) and its document is parsed. Both are polled: WaitForURLAsync, even waiting only for the commit,
    /// ends in a load-state wait that can miss its event and hang.
    /// </summary>
    public static async Task WaitForPageAsync(IPage page, string glob)
    {
        var url = new System.Text.RegularExpressions.Regex(
            "^" + System.Text.RegularExpressions.Regex.Escape(glob).Replace(@"\*\*", ".*", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "$");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!url.IsMatch(page.Url))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the page stayed at {page.Url}, not {glob}");
            }

            await Task.Delay(50);
        }

        await page.WaitForFunctionAsync("() => document.readyState !== 'loading'");
    }

    /// <summary>
    /// axe-core reports no serious or critical violation, and the page is saved at phone (412 px) and desktop (1280 px)
    /// widths in the tests' output folder.
    /// </summary>
    public static async Task CheckPageAsync(IPage page, string name)
    {
        var result = await page.RunAxe();
        var blocking = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(blocking.Count == 0, $"{name}: " + string.Join("\n", blocking.Select(v =>
            $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
        foreach (var width in new[] { 412, 1280 })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Chromium.ArtefactPath($"console-{name}-{width}.png"), FullPage = true });
        }
    }
}

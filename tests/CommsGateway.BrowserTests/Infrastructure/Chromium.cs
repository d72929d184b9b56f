using Microsoft.Playwright;

namespace CommsGateway.BrowserTests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright, launched once for the whole browser suite and shared by every test class
/// (<see cref="ChromiumCollection"/>). Each page gets a BrowserContext of its own (<see cref="TestPages"/>), so no
/// cookie, storage or permission leaks between tests. Nothing is downloaded: never run `playwright install` here.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium is not launched yet");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: run scripts/install-test-deps.sh");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    /// <summary>Where screenshots go: TestResults/ beside the test assembly (kept by CI as an artefact).</summary>
    public static string ArtefactPath(string fileName)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, fileName);
    }
}

/// <summary>
/// Every browser test class is in this collection: one Chromium for the run. Classes of one collection run one after
/// the other; each still has its own gateway (a class fixture), and each page its own BrowserContext.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ChromiumCollection : ICollectionFixture<Chromium>
{
    public const string Name = "Chromium";
}

/// <summary>
/// One test's pages on the shared browser: each in a fresh BrowserContext (its own cookie jar), all closed when the
/// test ends (the test class disposes it: xunit makes one instance of the class per test).
/// </summary>
public sealed class TestPages(Chromium chromium) : IAsyncDisposable
{
    private readonly List<IBrowserContext> _contexts = [];

    public async Task<IPage> NewPageAsync(BrowserNewContextOptions? options = null)
    {
        var context = await chromium.Browser.NewContextAsync(options);
        lock (_contexts)
        {
            _contexts.Add(context);
        }

        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }
    }
}

/// <summary>
/// A browser test class: its pages (<see cref="Pages"/>) on the shared Chromium, closed after each test. The class
/// still names the collection itself (<c>[Collection(ChromiumCollection.Name)]</c>), as xunit reads it there.
/// </summary>
public abstract class BrowserTest(Chromium chromium) : IAsyncLifetime
{
    protected TestPages Pages { get; } = new(chromium);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Pages.DisposeAsync().AsTask();
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using CommsGateway.Contracts;
using CommsGateway.IntegrationTests.Infrastructure;

namespace CommsGateway.IntegrationTests.Features.Intents;

/// <summary>
/// docs/producers.md, as a producer's developer uses it: its JSON example published verbatim, and its Node (amqplib)
/// and Python (pika) snippets, extracted from the file and run against this run's broker, each getting its decision
/// back from the MessageDecided exchange. scripts/install-test-deps.sh installs both clients.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class ProducerSnippetTests(GatewayFixture gateway) : IDisposable
{
    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("commsgw-producers-");

    public void Dispose() => _files.Delete(recursive: true);

    [GeneratedRegex(@"^```(?<lang>\w+)\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    private static string Snippet(string language) => Assert.Single(Fence().Matches(File.ReadAllText(Repository.PathOf("docs", "producers.md"))),
        m => m.Groups["lang"].Value == language).Groups["code"].Value;

    /// <summary>What the demo creates and the doc's examples name: the clinic, and its patient with a phone on record.</summary>
    private Task SeedDemoPatientAsync() => gateway.SeedRecipientAsync(new MessageIntent
    {
        IntentId = "seed", TenantId = "demo-clinic", PatientId = "p-1002", Channel = Channel.Sms, To = "+33781223344", Body = "-",
    });

    private string AmqpUrl()
    {
        var s = gateway.Servers;
        return $"amqp://{Uri.EscapeDataString(s.RabbitUser)}:{Uri.EscapeDataString(s.RabbitPassword)}@{s.RabbitHost}:{s.RabbitPort}/{Uri.EscapeDataString(s.RabbitVirtualHost)}";
    }

    private async Task<(int Exit, string Out, string Error)> RunAsync(string program, string script, string extension, Dictionary<string, string> environment)
    {
        var path = Path.Combine(_files.FullName, "producer." + extension);
        await File.WriteAllTextAsync(path, script);
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(path);
        start.Environment["AMQP_URL"] = AmqpUrl();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await output).Trim(), await error);
    }

    [Fact]
    public async Task Should_decide_the_docs_json_example_published_verbatim_without_it_being_expired()
    {
        await SeedDemoPatientAsync();
        var json = Snippet("json");
        var intentId = JsonDocument.Parse(json).RootElement.GetProperty("intentId").GetString()!;

        await gateway.PublishRawAsync(json);
        var row = Assert.Single(await gateway.WaitForDecisionsAsync("demo-clinic", intentId));

        Assert.Equal("SentWithMarketingRemoved", row.Outcome);
        Assert.Equal([ReasonCodes.MarketingBlocksRemoved, ReasonCodes.NoMarketingConsent], row.Reasons);
    }

    [Fact]
    public async Task Should_run_the_node_snippet_and_print_its_decision()
    {
        await SeedDemoPatientAsync();

        var (exit, output, error) = await RunAsync("node", Snippet("javascript"), "js",
            new() { ["NODE_PATH"] = Repository.PathOf("tests", "producers", "node_modules") });

        Assert.True(exit == 0, $"node exited {exit} (run scripts/install-test-deps.sh for amqplib): {error}");
        Assert.Matches(@"^booking-48213-reminder-24h-\d+: SentWithMarketingRemoved MarketingBlocksRemoved,NoMarketingConsent$", output);
    }

    [Fact]
    public async Task Should_run_the_python_snippet_and_print_its_decision()
    {
        await SeedDemoPatientAsync();

        // Debian's interpreter, where python3-pika is installed (not a pyenv or venv one).
        var (exit, output, error) = await RunAsync("/usr/bin/python3", Snippet("python"), "py", []);

        Assert.True(exit == 0, $"python3 exited {exit} (run scripts/install-test-deps.sh for python3-pika): {error}");
        Assert.Matches(@"^booking-48213-reminder-24h-\d+: SentWithMarketingRemoved MarketingBlocksRemoved,NoMarketingConsent$", output);
    }
}

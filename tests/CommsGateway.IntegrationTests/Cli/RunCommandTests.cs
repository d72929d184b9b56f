using System.Diagnostics;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>
/// `commsgw run` as an operator starts it, in its own process: a production start with the committed development
/// keys, an http public address and no provider keys stops at once with exit code 78 and every setting named, not
/// a stack trace and not a gateway that signs forgeable links.
/// </summary>
public sealed class RunCommandTests
{
    [Fact]
    public async Task Should_refuse_a_production_start_naming_every_bad_setting_with_exit_code_78()
    {
        var (exit, error) = await RunAsync(new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Gateway__PublicBaseUrl"] = "https://gw.clinique.example",
        });

        Assert.Equal(78, exit);
        Assert.StartsWith("commsgw run: the configuration was refused:", error, StringComparison.Ordinal);
        Assert.Contains("'SendGridOptions' members: 'ApiKey'", error, StringComparison.Ordinal);
        Assert.Contains("'TwilioOptions' members: 'AccountSid'", error, StringComparison.Ordinal);
        Assert.Contains("Unsubscribe:Keys contains the development key 'dev-2026'", error, StringComparison.Ordinal);
        Assert.Contains("Unsubscribe:SubscriberKey is the committed development key", error, StringComparison.Ordinal);
        Assert.Contains("Privacy:AddressHashKey is the committed development key", error, StringComparison.Ordinal);
        Assert.Contains("Review:ContentKey is the committed development key", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal); // no stack trace
    }

    [Fact]
    public async Task Should_refuse_an_http_public_address_in_production()
    {
        var (exit, error) = await RunAsync(new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Gateway__PublicBaseUrl"] = "http://gw.clinique.example",
        });

        Assert.Equal(78, exit);
        Assert.Contains("Gateway:PublicBaseUrl must be https", error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Error)> RunAsync(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "commsgw.dll"));
        start.ArgumentList.Add("run");
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        // Nothing of the test run's own settings leaks in: only what the case sets (and the dotnet host's PATH/HOME).
        foreach (var key in start.Environment.Keys.Where(k => k.Contains("__", StringComparison.Ordinal) || k.EndsWith("_ENVIRONMENT", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("commsgw run did not stop on a refused configuration: " + await output);
        }

        return (process.ExitCode, (await error).Trim());
    }
}

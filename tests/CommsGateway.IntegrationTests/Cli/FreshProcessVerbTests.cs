extern alias cli;

using System.CommandLine;
using System.Text.RegularExpressions;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Npgsql;
using CliRoot = cli::CommsGateway.Cli.CliRoot;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>
/// Every `commsgw` verb, enumerated from the real command tree, run as a fresh process of the built binary against
/// this run's own database and vhost: `--help`, then one real call. In-process tests share Dapper's mapping, a
/// started host and the test's working directory; a fresh process has none of it, as on an operator's machine.
/// </summary>
public sealed partial class FreshProcessVerbTests : IAsyncLifetime
{
    private const string Tenant = "fresh-clinic";
    private TestServers _servers = null!;
    private DirectoryInfo _files = null!;

    public async Task InitializeAsync()
    {
        _servers = await TestServers.StartAsync();
        _files = Directory.CreateTempSubdirectory("commsgw-fresh-");
    }

    public async Task DisposeAsync()
    {
        _files.Delete(recursive: true);
        await _servers.DisposeAsync();
    }

    /// <summary>Every command of the tree that does something (has an action), by its path: "tenant key issue".</summary>
    private static List<string> Verbs()
    {
        var verbs = new List<string>();
        void Walk(Command command, string path)
        {
            if (command.Action is not null && path.Length > 0)
            {
                verbs.Add(path);
            }

            foreach (var sub in command.Subcommands)
            {
                Walk(sub, (path + " " + sub.Name).Trim());
            }
        }

        Walk(CliRoot.Create(), "");
        return verbs;
    }

    /// <summary>The real call of each verb, in the order they run (the clinic and its data first), with the exit code it must give.</summary>
    private sealed record Case(string Verb, Func<Task<string[]>> Args, int Exit = 0, string Stdin = "", string? Expect = null, bool LongRunning = false);

    private string File(string name, string text)
    {
        var path = Path.Combine(_files.FullName, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private async Task<string> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_servers.ConnectionString);
        return await connection.ExecuteScalarAsync<string>(sql, new { Tenant }) ?? throw new InvalidOperationException("nothing for: " + sql);
    }

    private List<Case> Cases()
    {
        var now = DateTimeOffset.UtcNow;
        string[] Args(params string[] args) => args;
        return
        [
            new("tenant add", () => Task.FromResult(Args("tenant", "add", Tenant, "--name", "Clinique Fraîche", "--email-from", "rdv@fraiche.example")), Expect: "ck_"),
            new("tenant set", () => Task.FromResult(Args("tenant", "set", Tenant, "--marketing-frequency-cap", "3"))),
            new("tenant sender", () => Task.FromResult(Args("tenant", "sender", Tenant, "--sms-from", "+33700000031", "--show")), Expect: "sms_from: +33700000031"),
            new("tenant operator-key issue", () => Task.FromResult(Args("tenant", "operator-key", "issue", "--label", "onboarding")), Expect: "ck_"),
            new("tenant key issue", () => Task.FromResult(Args("tenant", "key", "issue", Tenant, "--label", "booking")), Expect: "ck_"),
            new("tenant key list", () => Task.FromResult(Args("tenant", "key", "list", Tenant)), Expect: "ck_"),
            new("tenant key revoke", async () => Args("tenant", "key", "revoke", Tenant,
                await ScalarAsync("select key_id from api_keys where tenant_id = @Tenant and label = 'booking'"))),
            new("contacts import", () => Task.FromResult(Args("contacts", "import", File("contacts.csv",
                "patient_id,first_name,email,phone\np-1,Anne,anne@example.org,+33612345678\np-2,Bruno,bruno@example.org,0612345679\n"), "--tenant", Tenant)),
                Expect: "2 imported"),
            new("consent grant", () => Task.FromResult(Args("consent", "grant", "--tenant", Tenant, "--patient", "p-1", "--channel", "email",
                "--wording-version", "v1", "--wording-file", File("wording.txt", "J'accepte de recevoir les offres par e-mail."), "--captured-by", "accueil"))),
            new("consent withdraw", () => Task.FromResult(Args("consent", "withdraw", "--tenant", Tenant, "--patient", "p-2", "--channel", "email"))),
            new("consent show", () => Task.FromResult(Args("consent", "show", "--tenant", Tenant, "--patient", "p-1", "--history"))),
            // The gateway first, as in production: it declares the intent exchange that campaign queue publishes to.
            new("run", () => Task.FromResult(Args("run", "--urls", $"http://127.0.0.1:{_runPort}")), LongRunning: true),
            new("classify", () => Task.FromResult(Args("classify")),
                Stdin: """{"id":"m1","channel":"email","subject":"Offre","body":"-20 % sur les peelings ce mois-ci, profitez-en !"}""" + "\n", Expect: "\"id\":\"m1\""),
            new("campaign preview", () => Task.FromResult(CampaignArgs("preview")), Expect: "Audience"),
            new("campaign queue", () => Task.FromResult<string[]>([.. CampaignArgs("queue"), "--yes"]), Expect: "Queued"),
            new("review approve-campaign", async () => Args("review", "approve-campaign", await CampaignIdAsync(), "--tenant", Tenant, "--as", "service",
                "--actor", "dr.martin", "--note", "reviewed before sending")),
            new("campaign report", async () => Args("campaign", "report", await CampaignIdAsync(), "--tenant", Tenant, "--csv", Path.Combine(_files.FullName, "report.csv"))),
            new("campaign cancel", async () => Args("campaign", "cancel", await CampaignIdAsync(), "--tenant", Tenant), Expect: "Cancelled"),
            // No message is held for review in this clinic: the calls that name one answer "not found" (3), as designed.
            new("review list", () => Task.FromResult(Args("review", "list", "--tenant", Tenant, "--all"))),
            new("review show", () => Task.FromResult(Args("review", "show", "--tenant", Tenant, Guid.NewGuid().ToString())), Exit: 3),
            new("review approve", () => Task.FromResult(Args("review", "approve", "--tenant", Tenant, Guid.NewGuid().ToString(), "--actor", "dr.martin")), Exit: 3),
            new("review mark-marketing", () => Task.FromResult(Args("review", "mark-marketing", "--tenant", Tenant, Guid.NewGuid().ToString(), "--actor", "dr.martin")), Exit: 3),
            new("review templates", () => Task.FromResult(Args("review", "templates", "--tenant", Tenant, "--json"))),
            new("review revoke", () => Task.FromResult(Args("review", "revoke", "--tenant", Tenant, "999999", "--actor", "dr.martin")), Exit: 3),
            new("review export-labels", () => Task.FromResult(Args("review", "export-labels", "--tenant", Tenant))),
            new("classify train", () => Task.FromResult(Args("classify", "train", "--corpus", SmallCorpus(), "--out", Path.Combine(_files.FullName, "model.bin"))), Expect: "wrote "),
            new("classify evaluate", () => Task.FromResult(Args("classify", "evaluate", "--corpus", SmallCorpus()))),
            new("decisions", () => Task.FromResult(Args("decisions", "--tenant", Tenant, "--json"))),
            new("decisions tail", () => Task.FromResult(Args("decisions", "tail", "--tenant", Tenant)), LongRunning: true),
            new("audit verify", () => Task.FromResult(Args("audit", "verify", "--tenant", Tenant)), Expect: "OK decision log"),
            new("breach scope", () => Task.FromResult(Args("breach", "scope", "--tenant", Tenant, "--from", now.AddDays(-1).ToString("O"), "--to", now.AddDays(1).ToString("O"), "--json"))),
            new("retention set", () => Task.FromResult(Args("retention", "set", "--tenant", Tenant, "--decisions-months", "36", "--consent-months", "60"))),
            new("retention run", () => Task.FromResult(Args("retention", "run", "--tenant", Tenant, "--dry-run"))),
            new("export", () => Task.FromResult(Args("export", "--tenant", Tenant, "--patient", "p-1")), Expect: "p-1"),
            new("erase", () => Task.FromResult(Args("erase", "--tenant", Tenant, "--patient", "p-2", "--yes")), Expect: "Erased"),
            // No gateway runs now (the run case stopped it), as the verb requires; the campaign's intents wait in the queue.
            new("queue migrate", () => Task.FromResult(Args("queue", "migrate")), Expect: "commsgw-intents"),
            new("demo", () => Task.FromResult(Args("demo", "--exit", "--urls", $"http://127.0.0.1:{CommsgwProcess.FreePort()}", "--providers-port", "0")),
                Expect: "unsubscribe"),
            new("bench", () => Task.FromResult(Args("bench", "-n", "100", "--gateway-only", "--json")), Expect: "decisions_per_s"),
            new("fake-providers", () => Task.FromResult(Args("fake-providers", "--port", "0")), Expect: "listening on http://127.0.0.1:", LongRunning: true),
        ];
    }

    private readonly int _runPort = CommsgwProcess.FreePort();

    private string[] CampaignArgs(string verb) =>
    [
        "campaign", verb, "--tenant", Tenant, "--name", "Printemps", "--channels", "email", "--subject-fr", "Offre de printemps",
        "--template-fr-file", File("fr.liquid", "Bonjour {{ patient.first_name }}, -20 % sur les peelings ce mois-ci."),
        "--patients", File("ids.csv", "patient_id\np-1\np-2\n"),
    ];

    /// <summary>The first 60 messages of the repository's English and French corpora: enough to train and cross-validate in seconds.</summary>
    private string SmallCorpus()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_files.FullName, "corpus"));
        foreach (var name in new[] { "corpus-en.jsonl", "corpus-fr.jsonl" })
        {
            System.IO.File.WriteAllLines(Path.Combine(directory.FullName, name), System.IO.File.ReadLines(Repository.PathOf("data", "classifier", name)).Take(60));
        }

        return directory.FullName;
    }

    private Task<string> CampaignIdAsync() => ScalarAsync("select campaign_id from campaigns where tenant_id = @Tenant order by created_at limit 1");

    [Fact]
    public void Should_have_a_fresh_process_case_for_every_verb_of_the_command_tree()
    {
        var cases = Cases().Select(c => c.Verb).ToList();
        Assert.Equal(cases.Distinct().Order(), cases.Order()); // one case per verb
        Assert.True(Verbs().Order().SequenceEqual(cases.Order()),
            $"verbs without a fresh-process case: {string.Join(", ", Verbs().Except(cases))}; cases of no verb: {string.Join(", ", cases.Except(Verbs()))}");
    }

    [Fact]
    public async Task Should_print_the_help_of_every_verb_in_a_fresh_process()
    {
        var environment = CommsgwProcess.Environment(_servers);
        var failures = new List<string>();
        foreach (var verb in Verbs())
        {
            var result = await CommsgwProcess.RunAsync([.. verb.Split(' '), "--help"], environment);
            if (result.ExitCode != 0 || !result.Out.Contains("Usage:", StringComparison.Ordinal) || result.Error.Length > 0)
            {
                failures.Add($"{verb} --help: exit {result.ExitCode}\n{result.All}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task Should_run_every_verb_for_real_in_a_fresh_process_without_a_stack_trace()
    {
        var environment = CommsgwProcess.Environment(_servers);
        var failures = new List<string>();
        foreach (var verbCase in Cases())
        {
            var args = await verbCase.Args();
            ProcessResult result;
            if (verbCase.LongRunning)
            {
                using var http = new HttpClient();
                var started = DateTime.UtcNow;
                var (running, stopped) = await CommsgwProcess.RunUntilAsync(args, environment, async () => verbCase.Verb == "run"
                    ? await ReadyAsync(http, $"http://127.0.0.1:{_runPort}/health/ready")
                    : DateTime.UtcNow - started > TimeSpan.FromSeconds(8), TimeSpan.FromMinutes(2));
                result = stopped;
                if (!running)
                {
                    failures.Add($"{verbCase.Verb}: stopped by itself (exit {result.ExitCode}) instead of serving\n{result.All}");
                    continue;
                }
            }
            else
            {
                result = await CommsgwProcess.RunAsync(args, environment, verbCase.Stdin);
                if (result.ExitCode != verbCase.Exit)
                {
                    failures.Add($"{verbCase.Verb}: exit {result.ExitCode}, expected {verbCase.Exit}\n{result.All}");
                    continue;
                }
            }

            if (StackFrame().IsMatch(result.All) || result.All.Contains("Unhandled exception", StringComparison.Ordinal))
            {
                failures.Add($"{verbCase.Verb}: a stack trace reached the operator\n{result.All}");
            }
            else if (verbCase.Expect is { } expected && !result.All.Contains(expected, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{verbCase.Verb}: '{expected}' not in its output\n{result.All}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task Should_refuse_an_erasure_without_yes_when_no_one_can_answer_the_prompt()
    {
        var environment = CommsgwProcess.Environment(_servers);
        var result = await CommsgwProcess.RunAsync(["erase", "--tenant", Tenant, "--patient", "p-9"], environment);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("add --yes", result.Error, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), result.All);
    }

    [Fact]
    public async Task Should_name_the_option_when_a_template_file_does_not_exist()
    {
        var environment = CommsgwProcess.Environment(_servers);
        var result = await CommsgwProcess.RunAsync(["campaign", "preview", "--tenant", Tenant, "--name", "n", "--channels", "email",
            "--template-fr-file", "Bonjour {{ patient.first_name }}", "--patients", File("one.csv", "p-1\n")], environment);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--template-fr-file: no such file", result.Error, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), result.All);
    }

    [Fact]
    public async Task Should_refuse_to_queue_a_campaign_without_yes_when_no_one_can_confirm()
    {
        var environment = CommsgwProcess.Environment(_servers);
        var result = await CommsgwProcess.RunAsync([.. CampaignArgs("queue")], environment);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("add --yes", result.Error, StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(_servers.ConnectionString);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from campaigns where tenant_id = @Tenant", new { Tenant }));
    }

    [Fact]
    public async Task Should_run_in_development_from_the_repository_root_with_the_environment_file_beside_the_binary()
    {
        // No provider setting in the environment: only appsettings.Development.json (beside the binary) has them.
        var environment = CommsgwProcess.Environment(_servers, "Development");
        var port = CommsgwProcess.FreePort();
        using var http = new HttpClient();

        var (running, result) = await CommsgwProcess.RunUntilAsync(["run", "--urls", $"http://127.0.0.1:{port}"], environment,
            () => ReadyAsync(http, $"http://127.0.0.1:{port}/health/ready"), TimeSpan.FromMinutes(2), workingDirectory: Repository.PathOf());

        Assert.True(running, $"exit {result.ExitCode}: {result.All}");
        Assert.DoesNotContain("configuration was refused", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_write_json_log_lines_with_a_utc_iso_8601_timestamp()
    {
        var environment = CommsgwProcess.Environment(_servers);
        environment["Logging__Console__FormatterName"] = "json";
        var port = CommsgwProcess.FreePort();
        using var http = new HttpClient();
        var (running, result) = await CommsgwProcess.RunUntilAsync(["run", "--urls", $"http://127.0.0.1:{port}"], environment,
            () => ReadyAsync(http, $"http://127.0.0.1:{port}/health/ready"), TimeSpan.FromMinutes(2));

        Assert.True(running, result.All);
        var lines = result.Out.Split('\n').Where(l => l.StartsWith('{')).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, line =>
        {
            using var entry = System.Text.Json.JsonDocument.Parse(line);
            var timestamp = entry.RootElement.GetProperty("Timestamp").GetString()!;
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", timestamp);
            Assert.Equal(TimeSpan.Zero, DateTimeOffset.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture).Offset);
        });
    }

    private static async Task<bool> ReadyAsync(HttpClient http, string url)
    {
        try
        {
            return (await http.GetAsync(url)).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^\s+at \S+\(", RegexOptions.Multiline)]
    private static partial Regex StackFrame();
}

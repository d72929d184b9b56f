extern alias cli;

using System.Text;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Intents;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using CliRoot = cli::CommsGateway.Cli.CliRoot;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>
/// Operator commands run as an operator types them (the real command tree, parsed from arguments) against the
/// gateway's database: audit verify, decisions (filters, tail), breach scope, retention dry run.
/// </summary>
[Collection(SerialCollection.Name)] // the commands write to the process console: captured, so run alone
public sealed class OperatorCommandTests(GatewayFixture gateway)
{
    private string Connection => gateway.Servers.ConnectionString;

    /// <summary>Everything the command printed (Console and Spectre's AnsiConsole), safe to read while it runs.</summary>
    private sealed class Capture : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_text)
            {
                _text.Append(buffer, index, count);
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(Capture output, CancellationToken ct, params string[] args)
    {
        var (previousOut, previousAnsi) = (Console.Out, AnsiConsole.Console);
        Console.SetOut(output);
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        ansi.Profile.Width = 400; // no wrapped ids
        AnsiConsole.Console = ansi;
        try
        {
            var exit = await CliRoot.Create().Parse(args).InvokeAsync(cancellationToken: ct);
            return (exit, output.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            AnsiConsole.Console = previousAnsi;
        }
    }

    private static Task<(int Exit, string Output)> RunAsync(params string[] args) => RunAsync(new Capture(), CancellationToken.None, args);

    private async Task<DecisionRecord> AppendAsync(string tenant, string intentId, string patient, DecisionOutcome outcome, string reason,
        Channel channel = Channel.Sms, DateTimeOffset? at = null)
    {
        var record = new DecisionRecord(Guid.CreateVersion7(), tenant, intentId, patient, "booking", channel, "appointment_reminder", null,
            Purpose.Service, Purpose.Service, outcome, [reason], ["cli test"], new byte[32], null, "test", null, at ?? DateTimeOffset.UtcNow);
        Assert.True(await gateway.Services.GetRequiredService<DecisionLog>().TryAppendAsync(record, default));
        return record;
    }

    private static string NewTenant() => $"t-cli-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Should_exit_1_and_name_the_altered_row_in_audit_verify()
    {
        var tenant = NewTenant();
        for (var i = 0; i < 3; i++)
        {
            await AppendAsync(tenant, $"verify-{i}", "p-1", DecisionOutcome.Blocked, ReasonCodes.NoContactPoint);
        }

        var (ok, okOutput) = await RunAsync("audit", "verify", "--tenant", tenant, "--connection", Connection);
        Assert.Equal(0, ok);
        Assert.Contains("3 decisions verified", okOutput, StringComparison.Ordinal);

        long seq;
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            seq = await connection.ExecuteScalarAsync<long>("select seq from decisions where tenant_id = @tenant and intent_id = 'verify-1'", new { tenant });
            await connection.ExecuteAsync("set session_replication_role = replica");
            await connection.ExecuteAsync("update decisions set outcome = 'Sent' where seq = @seq", new { seq });
            await connection.ExecuteAsync("set session_replication_role = origin");
        }

        var (broken, output) = await RunAsync("audit", "verify", "--tenant", tenant, "--connection", Connection);
        Assert.Equal(1, broken);
        Assert.Contains($"first broken row seq {seq}, intent verify-1", output, StringComparison.Ordinal);
        Assert.Contains("altered", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_filter_decisions_by_patient_outcome_reason_and_time()
    {
        var tenant = NewTenant();
        var now = DateTimeOffset.UtcNow;
        await AppendAsync(tenant, "f-blocked-p1", "p-1", DecisionOutcome.Blocked, ReasonCodes.NoMarketingConsent, at: now.AddHours(-1));
        await AppendAsync(tenant, "f-sent-p1", "p-1", DecisionOutcome.Sent, ReasonCodes.ServiceMessage, at: now.AddHours(-1));
        await AppendAsync(tenant, "f-blocked-p2", "p-2", DecisionOutcome.Blocked, ReasonCodes.NoMarketingConsent, at: now.AddHours(-1));
        await AppendAsync(tenant, "f-blocked-p1-old", "p-1", DecisionOutcome.Blocked, ReasonCodes.NoMarketingConsent, at: now.AddDays(-10));

        var (exit, output) = await RunAsync("decisions", "--tenant", tenant, "--patient", "p-1", "--outcome", "Blocked",
            "--reason", ReasonCodes.NoMarketingConsent, "--from", now.AddDays(-1).ToString("O"), "--json", "--connection", Connection);

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var intents = json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("intentId").GetString()).ToList();
        Assert.Equal(["f-blocked-p1"], intents);

        var (_, table) = await RunAsync("decisions", "--tenant", tenant, "--outcome", "Sent", "--connection", Connection);
        Assert.Contains("f-sent-p1", table, StringComparison.Ordinal);
        Assert.DoesNotContain("f-blocked", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_print_a_decision_committed_while_tail_runs()
    {
        var tenant = NewTenant();
        await AppendAsync(tenant, "before-tail", "p-1", DecisionOutcome.Blocked, ReasonCodes.NoContactPoint);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var output = new Capture();
        var tail = RunAsync(output, stop.Token, "decisions", "tail", "--tenant", tenant, "--connection", Connection);
        await Until(() => output.ToString().Contains("Following", StringComparison.Ordinal));

        await AppendAsync(tenant, "during-tail", "p-7", DecisionOutcome.Blocked, ReasonCodes.NoMarketingConsent);
        await Until(() => output.ToString().Contains("during-tail", StringComparison.Ordinal));
        await stop.CancelAsync();

        var (exit, text) = await tail;
        Assert.Equal(0, exit);
        var line = Assert.Single(text.Split('\n'), l => l.Contains("during-tail", StringComparison.Ordinal));
        Assert.Contains(ReasonCodes.NoMarketingConsent, line, StringComparison.Ordinal);
        Assert.Contains("patient=p-7", line, StringComparison.Ordinal);
        Assert.DoesNotContain("before-tail", text, StringComparison.Ordinal); // from now on, not the history
    }

    [Fact]
    public async Task Should_hide_contact_data_in_breach_scope_unless_revealed_with_a_reason()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { email = "breach.target@example.org", phone = "+33612345678" })).EnsureSuccessStatusCode();
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await AppendAsync(clinic.TenantId, "breach-1", patient, DecisionOutcome.Sent, ReasonCodes.ServiceMessage);
        string[] window = ["breach", "scope", "--from", start.ToString("O"), "--to", DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"),
            "--tenant", clinic.TenantId, "--connection", Connection];

        foreach (var extra in new[] { Array.Empty<string>(), ["--json"] })
        {
            var (exit, output) = await RunAsync([.. window, .. extra]);
            Assert.Equal(0, exit);
            Assert.Contains(patient, output, StringComparison.Ordinal);
            Assert.DoesNotContain("breach.target", output, StringComparison.Ordinal);
            Assert.DoesNotContain("612345678", output, StringComparison.Ordinal);
        }

        Assert.Equal(2, (await RunAsync([.. window, "--reveal"])).Exit); // no reason, no reveal
        var (revealed, shown) = await RunAsync([.. window, "--reveal", "--reason", "INC-42", "--actor", "dpo@test"]);
        Assert.Equal(0, revealed);
        Assert.Contains("breach.target@example.org", shown, StringComparison.Ordinal);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "select count(*) from admin_audit where tenant_id = @TenantId and action = 'breach.reveal'", new { clinic.TenantId }));
    }

    [Fact]
    public async Task Should_report_without_removing_in_a_retention_dry_run()
    {
        var tenant = NewTenant();
        var now = DateTimeOffset.UtcNow;
        await AppendAsync(tenant, "ret-old-1", "p-1", DecisionOutcome.Blocked, ReasonCodes.NoContactPoint, at: now.AddMonths(-40));
        await AppendAsync(tenant, "ret-old-2", "p-1", DecisionOutcome.Blocked, ReasonCodes.NoContactPoint, at: now.AddMonths(-38));
        await AppendAsync(tenant, "ret-new", "p-1", DecisionOutcome.Blocked, ReasonCodes.NoContactPoint, at: now);

        var (exit, output) = await RunAsync("retention", "run", "--tenant", tenant, "--dry-run", "--json", "--actor", "dpo@test", "--connection", Connection);

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var decisions = Assert.Single(json.RootElement.EnumerateArray(), r => r.GetProperty("tableName").GetString() == "decisions");
        Assert.Equal(2, decisions.GetProperty("removed").GetInt32());
        Assert.True(decisions.GetProperty("dryRun").GetBoolean());
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>("select count(*) from decisions where tenant_id = @tenant", new { tenant }));
        var (_, table) = await RunAsync("retention", "run", "--tenant", tenant, "--dry-run", "--connection", Connection);
        Assert.Contains("dry run: nothing removed", table, StringComparison.Ordinal);
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the command's output");
            await Task.Delay(50);
        }
    }
}

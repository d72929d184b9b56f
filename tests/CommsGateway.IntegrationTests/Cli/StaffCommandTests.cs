using System.Text.RegularExpressions;
using CommsGateway.IntegrationTests.Infrastructure;
using OtpNet;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>`commsgw staff ...` and `commsgw access-log`, each a fresh process of the built binary on this run's database.</summary>
public sealed partial class StaffCommandTests : IAsyncLifetime
{
    private const string Tenant = "staff-clinic";
    private TestServers _servers = null!;

    public async Task InitializeAsync()
    {
        _servers = await TestServers.StartAsync();
        var added = await RunAsync("tenant", "add", Tenant, "--name", "Clinique du Personnel", "--email-from", "rdv@personnel.example");
        Assert.Equal(0, added.ExitCode);
    }

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    private Task<ProcessResult> RunAsync(params string[] args) => CommsgwProcess.RunAsync(args, CommsgwProcess.Environment(_servers));

    [GeneratedRegex(@"TOTP key:\s+([A-Z2-7]+)")]
    private static partial Regex TotpKey();

    [GeneratedRegex(@"password:\s+(\S+)")]
    private static partial Regex Password();

    [Fact]
    public async Task Should_add_staff_print_the_enrolment_key_and_a_matching_code_in_development_only()
    {
        var add = await RunAsync("staff", "add", "dpo@personnel.example", "--tenant", Tenant, "--role", "dpo", "--name", "Dora");
        Assert.True(add.ExitCode == 0, add.All);
        var key = TotpKey().Match(add.Out).Groups[1].Value;
        Assert.Equal(16, Password().Match(add.Out).Groups[1].Value.Length);
        Assert.Contains("otpauth://totp/", add.Out, StringComparison.Ordinal);
        await using (var connection = new Npgsql.NpgsqlConnection(_servers.ConnectionString))
        {
            // Stored protected by the console's key ring, which the next process reads back (the code below).
            var stored = await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection,
                "select totp_secret from staff_accounts where email = 'dpo@personnel.example'");
            Assert.StartsWith("dp1:", stored, StringComparison.Ordinal);
            Assert.DoesNotContain(key, stored!, StringComparison.Ordinal);
        }

        var code = await RunAsync("staff", "totp-code", "dpo@personnel.example");
        Assert.True(code.ExitCode == 0, code.All);
        var totp = new Totp(Base32Encoding.ToBytes(key));
        Assert.True(totp.VerifyTotp(code.Out.Trim(), out _, VerificationWindow.RfcSpecifiedNetworkDelay), $"{code.Out.Trim()} is not a current code of {key}");

        var production = await CommsgwProcess.RunAsync(["staff", "totp-code", "dpo@personnel.example"], CommsgwProcess.Environment(_servers, "Production"));
        Assert.Equal(2, production.ExitCode);
        Assert.Contains("Development only", production.Error, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"^\d{6}$", production.Out.Trim());
    }

    [Fact]
    public async Task Should_change_roles_disable_and_reset_and_refuse_what_does_not_exist()
    {
        Assert.Equal(0, (await RunAsync("staff", "add", "desk@personnel.example", "--tenant", Tenant, "--role", "reception")).ExitCode);
        Assert.Equal(2, (await RunAsync("staff", "add", "desk@personnel.example", "--tenant", Tenant, "--role", "reception")).ExitCode); // exists
        Assert.Equal(2, (await RunAsync("staff", "add", "x@personnel.example", "--tenant", Tenant, "--role", "boss")).ExitCode);
        Assert.Equal(2, (await RunAsync("staff", "add", "x@personnel.example", "--tenant", "no-such-clinic", "--role", "dpo")).ExitCode);
        Assert.Equal(0, (await RunAsync("staff", "set-role", "desk@personnel.example", "--role", "marketing")).ExitCode);
        Assert.Equal(2, (await RunAsync("staff", "set-role", "desk@personnel.example", "--role", "boss")).ExitCode);
        var reset = await RunAsync("staff", "reset-totp", "desk@personnel.example");
        Assert.Matches(@"New TOTP key of desk@personnel\.example: [A-Z2-7]{32}", reset.Out);
        Assert.Equal(0, (await RunAsync("staff", "disable", "desk@personnel.example")).ExitCode);
        Assert.Equal(3, (await RunAsync("staff", "disable", "nobody@personnel.example")).ExitCode);

        var list = await RunAsync("staff", "list", "--tenant", Tenant);
        Assert.Matches(@"desk@personnel\.example\s+marketing\s+disabled\s+totp not enrolled", list.Out);
    }

    [Fact]
    public async Task Should_show_and_verify_the_access_log()
    {
        await using (var db = CommsGateway.Data.Database.CreateDataSource(_servers.ConnectionString))
        {
            var log = new CommsGateway.Features.Audit.AccessLog(db, TimeProvider.System);
            await log.AppendAsync([new(Tenant, "dpo@personnel.example", "dpo", "p-1", "patient.view", null, "127.0.0.1"),
                new(Tenant, "desk@personnel.example", "reception", "p-2", "patient.view", null, "127.0.0.1")], CancellationToken.None);
        }

        var verify = await RunAsync("access-log", "--tenant", Tenant, "--verify");
        Assert.True(verify.ExitCode == 0, verify.All);
        Assert.Contains($"OK access log of {Tenant}: 2 entries verified", verify.Out, StringComparison.Ordinal);
        var list = await RunAsync("access-log", "--tenant", Tenant, "--patient", "p-1");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("dpo@personnel.example  dpo  p-1  patient.view", list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("p-2", list.Out, StringComparison.Ordinal);
        var byStaff = await RunAsync("access-log", "--tenant", Tenant, "--staff", "desk@personnel.example");
        Assert.Contains("reception  p-2", byStaff.Out, StringComparison.Ordinal);

        // The newest entry removed behind the append-only trigger: the head shows it.
        await using (var connection = new Npgsql.NpgsqlConnection(_servers.ConnectionString))
        {
            await connection.OpenAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await Dapper.SqlMapper.ExecuteAsync(connection, "alter table console_access_log disable trigger console_access_log_append_only", transaction: tx);
            await Dapper.SqlMapper.ExecuteAsync(connection, "delete from console_access_log where tenant_id = @Tenant and patient_id = 'p-2'", new { Tenant }, tx);
            await Dapper.SqlMapper.ExecuteAsync(connection, "alter table console_access_log enable trigger console_access_log_append_only", transaction: tx);
            await tx.CommitAsync();
        }

        var truncated = await RunAsync("access-log", "--tenant", Tenant, "--verify");
        Assert.True(truncated.ExitCode == 1, truncated.All);
        Assert.Matches($@"BROKEN access log of {Tenant}: entry \d+: the chain ends at entry \d+ but its head is entry \d+ \(the newest entries were removed\)",
            truncated.Out);
    }
}

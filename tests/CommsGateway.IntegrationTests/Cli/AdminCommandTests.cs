using System.Text.Json;
using System.Text.RegularExpressions;
using CommsGateway.IntegrationTests.Features.Patients;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>`commsgw contacts import`, `consent grant|withdraw|show`, `export -o` and `erase`, parsed as typed, on the real database.</summary>
[Collection(GatewayCollection.Name)]
public sealed partial class AdminCommandTests(GatewayFixture gateway) : IDisposable
{
    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("commsgw-cli-");

    public void Dispose() => _files.Delete(recursive: true);

    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(gateway.Services, args);

    /// <summary>Runs with <paramref name="keys"/> typed at the prompt.</summary>
    private Task<CliResult> TypeAndRunAsync(string keys, string[] args) => CliRunner.RunAsync(gateway.Services, args, keys);

    // A row of Spectre's rejected-rows table: "│ 4    │ email: ... │".
    [GeneratedRegex(@"^│\s*(\d+)\s*│\s*(.*?)\s*│$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    private async Task<string?> EmailOnRecordAsync(string tenant, string patient)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.QueryFirstOrDefaultAsync<string?>(
            "select email from contacts where tenant_id = @tenant and patient_id = @patient", new { tenant, patient });
    }

    [Fact]
    public async Task Should_import_the_good_rows_and_list_each_bad_row_by_line_with_its_reason()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var csv = Path.Combine(_files.FullName, "patients.csv");
        // Line 3 holds a quoted note over two lines (RFC 4180): the rows after it keep their real line numbers.
        await File.WriteAllTextAsync(csv, string.Join("\n",
            "patient_id,first_name,email,phone,last_interaction_at,notes",
            "p-ok-1,Anne,anne@example.fr,06 12 34 56 78,2025-01-15,",
            "p-ok-2,\"Brun, Paul\",paul@example.fr,,,\"allergic to latex;",
            "call after 6pm, not before\"",
            "p-bad-email,Cloé,not-an-email,,,",
            ",Nobody,nobody@example.fr,,,",
            "p-bad-date,Dan,dan@example.fr,,yesterday-ish,",
            "p-ok-1,Anne again,anne2@example.fr,,,",
            "p-bad-phone,Eve,,12345,,") + "\n");

        var result = await RunAsync("contacts", "import", csv, "--tenant", clinic.TenantId, "--actor", "secretary");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("2 imported", result.Console, StringComparison.Ordinal);
        var rejected = TableRow().Matches(result.Console).ToDictionary(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m => m.Groups[2].Value);
        Assert.Equal([5, 6, 7, 8, 9], rejected.Keys.Order());
        Assert.StartsWith("email:", rejected[5], StringComparison.Ordinal);
        Assert.StartsWith("patient id is required", rejected[6], StringComparison.Ordinal);
        Assert.StartsWith("last_interaction_at: 'yesterday-ish' is not an ISO 8601 date", rejected[7], StringComparison.Ordinal);
        Assert.Equal("duplicate patient_id (first at line 2)", rejected[8]);
        Assert.StartsWith("phone:", rejected[9], StringComparison.Ordinal);
        Assert.Equal("anne@example.fr", await EmailOnRecordAsync(clinic.TenantId, "p-ok-1"));
        Assert.Equal("paul@example.fr", await EmailOnRecordAsync(clinic.TenantId, "p-ok-2"));
        Assert.Null(await EmailOnRecordAsync(clinic.TenantId, "p-bad-email"));
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal("Brun, Paul", await connection.ExecuteScalarAsync<string>(
            "select first_name from contacts where tenant_id = @t and patient_id = 'p-ok-2'", new { t = clinic.TenantId }));
    }

    [Fact]
    public async Task Should_import_a_french_excel_export_when_its_encoding_and_date_format_are_named()
    {
        var clinic = await Clinic.CreateAsync(gateway); // default region FR
        var csv = Path.Combine(_files.FullName, "excel-fr.csv");
        // What Excel (French locale) saves as "CSV (séparateur : point-virgule)": semicolons, Windows-1252, dd/MM/yyyy, CRLF.
        var windows1252 = CommsGateway.Core.Contacts.CsvText.FindEncoding("windows-1252")!;
        await File.WriteAllBytesAsync(csv, windows1252.GetBytes(string.Join("\r\n",
            "patient_id;first_name;last_name;email;phone;last_interaction_at",
            "p-rene;René;Lefèvre;rene@example.fr;06 12 34 56 78;04/12/2026",
            "p-uk;Zoé;Smith;zoe@example.co.uk;+44 7700 900123;2026-11-30") + "\r\n"));

        var asUtf8 = await RunAsync("contacts", "import", csv, "--tenant", clinic.TenantId);
        Assert.Equal(2, asUtf8.ExitCode);
        Assert.Contains("line 2 is not valid UTF-8", asUtf8.Console, StringComparison.Ordinal);
        Assert.Null(await EmailOnRecordAsync(clinic.TenantId, "p-uk")); // nothing imported from an unreadable file

        var noDateFormat = await RunAsync("contacts", "import", csv, "--tenant", clinic.TenantId, "--encoding", "windows-1252");
        Assert.Equal(1, noDateFormat.ExitCode);
        var rejected = TableRow().Matches(noDateFormat.Console).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.StartsWith("last_interaction_at: '04/12/2026' is not an ISO 8601 date", Assert.Single(rejected, r => r.Key == "2").Value, StringComparison.Ordinal);
        Assert.Equal("zoe@example.co.uk", await EmailOnRecordAsync(clinic.TenantId, "p-uk")); // +44 accepted in a FR clinic

        var named = await RunAsync("contacts", "import", csv, "--tenant", clinic.TenantId, "--encoding", "windows-1252", "--date-format", "dd/MM/yyyy");
        Assert.Equal(0, named.ExitCode);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var rene = await connection.QuerySingleAsync<(string FirstName, string LastName, string Phone, DateTime LastInteraction)>(
            "select first_name, last_name, phone_e164, last_interaction_at from contacts where tenant_id = @t and patient_id = 'p-rene'", new { t = clinic.TenantId });
        Assert.Equal(("René", "Lefèvre", "+33612345678"), (rene.FirstName, rene.LastName, rene.Phone));
        Assert.Equal(new DateTime(2026, 12, 4), rene.LastInteraction.Date); // 4 December, not 12 April
        Assert.Equal("+447700900123", await connection.ExecuteScalarAsync<string>(
            "select phone_e164 from contacts where tenant_id = @t and patient_id = 'p-uk'", new { t = clinic.TenantId }));
    }

    [Fact]
    public async Task Should_refuse_a_file_without_a_patient_id_column_or_that_does_not_exist()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var csv = Path.Combine(_files.FullName, "no-id.csv");
        await File.WriteAllTextAsync(csv, "email,phone\nanne@example.fr,\n");

        var noColumn = await RunAsync("contacts", "import", csv, "--tenant", clinic.TenantId);
        var noFile = await RunAsync("contacts", "import", Path.Combine(_files.FullName, "missing.csv"), "--tenant", clinic.TenantId);

        Assert.Equal(2, noColumn.ExitCode);
        Assert.Contains("no patient_id column", noColumn.Console, StringComparison.Ordinal);
        Assert.Equal(2, noFile.ExitCode);
        Assert.Contains("No such file", noFile.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_grant_show_withdraw_and_show_the_history_of_consent()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { email = PatientDataTests.NewAddresses().Email })).EnsureSuccessStatusCode();
        string[] who = ["--tenant", clinic.TenantId, "--patient", patient];

        var grant = await RunAsync([.. "consent grant".Split(' '), .. who, "--channel", "email", "--source", "paper_form",
            "--wording-version", "mkt-v3", "--wording-sha256", Clinic.WordingSha256, "--captured-by", "reception", "--actor", "dr.martin"]);
        var granted = await RunAsync([.. "consent show".Split(' '), .. who]);
        var withdraw = await RunAsync([.. "consent withdraw".Split(' '), .. who, "--channel", "email"]);
        var withdrawn = await RunAsync([.. "consent show".Split(' '), .. who]);
        var history = await RunAsync([.. "consent show --history".Split(' '), .. who]);

        Assert.Equal(0, grant.ExitCode);
        var grantId = Regex.Match(grant.Console, @"Recorded ledger event\(s\) (\d+)").Groups[1].Value;
        Assert.NotEmpty(grantId);
        Assert.Matches($@"│ marketing\s*│ email\s*│ granted\s*│[^│]*│ {grantId}\s*│", granted.Console);
        Assert.Equal(0, withdraw.ExitCode);
        var withdrawalId = Regex.Match(withdraw.Console, @"Recorded ledger event\(s\) (\d+)").Groups[1].Value;
        Assert.Matches($@"│ marketing\s*│ email\s*│ withdrawn\s*│[^│]*│ {withdrawalId}\s*│", withdrawn.Console);
        Assert.Equal(0, history.ExitCode);
        Assert.Matches($@"│ {grantId}\s*│ grant\s*│ marketing\s*│ email\s*│[^│]*│ paper_form\s*│ mkt-v3 9F86D081884C\s*│ reception\s*│ cli:\S+ for dr\.martin\s*│", history.Console);
        Assert.Matches($@"│ {withdrawalId}\s*│ withdraw\s*│ marketing\s*│ email\s*│", history.Console);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(["consent.grant", "consent.withdraw"], await connection.QueryAsync<string>(
            "select action from admin_audit where tenant_id = @t and patient_id = @p and action like 'consent.%' and actor like 'cli:%' order by audit_id",
            new { t = clinic.TenantId, p = patient }));
    }

    [Fact]
    public async Task Should_refuse_a_grant_without_its_evidence_and_an_unknown_patient()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { email = PatientDataTests.NewAddresses().Email })).EnsureSuccessStatusCode();

        var bare = await RunAsync("consent", "grant", "--tenant", clinic.TenantId, "--patient", patient, "--channel", "sms");
        var unknown = await RunAsync("consent", "show", "--tenant", clinic.TenantId, "--patient", "p-nobody");

        Assert.Equal(2, bare.ExitCode);
        Assert.Contains("evidence.wordingVersion is required", bare.Console, StringComparison.Ordinal);
        Assert.Empty(await clinic.CurrentAsync(patient));
        Assert.Equal(3, unknown.ExitCode);
        Assert.Contains("No such patient", unknown.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_export_the_patients_data_to_the_file_given_with_o()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        var (email, _, e164) = PatientDataTests.NewAddresses();
        (await clinic.PutContactAsync(patient, new { firstName = "Inès", email, phone = e164 })).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(patient, "email")).EnsureSuccessStatusCode();
        var file = Path.Combine(_files.FullName, "export.json");

        var result = await RunAsync("export", "--tenant", clinic.TenantId, "--patient", patient, "-o", file);
        var missing = await RunAsync("export", "--tenant", clinic.TenantId, "--patient", "p-nobody");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("1 consent events, 0 decisions", result.Console, StringComparison.Ordinal);
        Assert.Empty(result.Out); // the document went to the file, not the terminal
        var export = JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
        Assert.Equal(patient, export.GetProperty("patientId").GetString());
        Assert.Equal(email, export.GetProperty("contact").GetProperty("email").GetString());
        Assert.Equal(e164, export.GetProperty("contact").GetProperty("phone").GetString());
        Assert.Equal("Inès", export.GetProperty("contact").GetProperty("firstName").GetString());
        Assert.Equal("mkt-v3", Assert.Single(export.GetProperty("consentHistory").EnumerateArray()).GetProperty("wordingVersion").GetString());
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("No such patient", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_erase_only_once_confirmed()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        var email = PatientDataTests.NewAddresses().Email;
        (await clinic.PutContactAsync(patient, new { email })).EnsureSuccessStatusCode();
        string[] erase = ["erase", "--tenant", clinic.TenantId, "--patient", patient];

        var declined = await TypeAndRunAsync("n", erase);
        Assert.Equal(1, declined.ExitCode);
        Assert.Contains($"Erase patient {patient}", declined.Console, StringComparison.Ordinal);
        Assert.Equal(email, await EmailOnRecordAsync(clinic.TenantId, patient));

        var confirmed = await TypeAndRunAsync("y", erase);
        Assert.Equal(0, confirmed.ExitCode);
        Assert.Contains("contact deleted=True", confirmed.Console, StringComparison.Ordinal);
        Assert.Null(await EmailOnRecordAsync(clinic.TenantId, patient));
    }

    [Fact]
    public async Task Should_erase_without_a_prompt_given_yes()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { email = PatientDataTests.NewAddresses().Email })).EnsureSuccessStatusCode();

        // No keys typed: a prompt would take its default (no) and erase nothing.
        var result = await RunAsync("erase", "--tenant", clinic.TenantId, "--patient", patient, "--yes", "--actor", "dpo");
        var again = await RunAsync("erase", "--tenant", clinic.TenantId, "--patient", "p-nobody", "--yes");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("suppressions added=1", result.Console, StringComparison.Ordinal);
        Assert.Null(await EmailOnRecordAsync(clinic.TenantId, patient));
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
            "select count(*) from admin_audit where tenant_id = @t and patient_id = @p and action = 'patient.erase' and on_behalf = 'dpo'",
            new { t = clinic.TenantId, p = patient }));
        Assert.Equal(3, again.ExitCode);
    }
}

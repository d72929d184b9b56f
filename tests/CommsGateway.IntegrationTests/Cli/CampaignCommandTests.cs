using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CommsGateway.Contracts;
using CommsGateway.Features.Campaigns;
using CommsGateway.IntegrationTests.Features.Patients;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>
/// `commsgw campaign preview|queue|report|cancel` parsed as a marketing assistant types them, on the real servers:
/// the gateway under test decides what the command queued.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class CampaignCommandTests(GatewayFixture gateway) : IDisposable
{
    private const string Template = "Bonjour {{ patient.first_name }},\n{{ clinic.name }} : -20 % sur les peelings ce mois-ci, réservez !";

    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("commsgw-campaign-");

    public void Dispose() => _files.Delete(recursive: true);

    private CampaignService Campaigns => gateway.Services.GetRequiredService<CampaignService>();

    private Task<CliResult> RunAsync(params string[] args) => CliRunner.RunAsync(gateway.Services, args);

    /// <summary>As typed at the terminal, answering the confirmation with <paramref name="keys"/>.</summary>
    private Task<CliResult> AnswerAsync(string keys, params string[] args) => CliRunner.RunAsync(gateway.Services, args, keys);

    // "Created campaign cmp-…"
    [GeneratedRegex(@"Created campaign (\S+)")]
    private static partial Regex Created();

    // A row of a Spectre table, cells trimmed: "│ Sent │ email │ 2 │".
    [GeneratedRegex(@"^│(.*)│\s*$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    private static List<string[]> Rows(string console) =>
        [.. TableRow().Matches(console).Select(m => m.Groups[1].Value.Split('│').Select(c => c.Trim()).ToArray())];

    private async Task<string> PatientAsync(Clinic clinic, string? firstName = "Camille", bool email = true)
    {
        var patient = Clinic.NewPatient();
        var (address, _, e164) = PatientDataTests.NewAddresses();
        (await clinic.PutContactAsync(patient, new { firstName, email = email ? address : null, phone = e164, locale = "fr" })).EnsureSuccessStatusCode();
        return patient;
    }

    /// <summary>The definition options as typed, templates and patient list written to files.</summary>
    private async Task<string[]> DefinitionArgsAsync(IEnumerable<string> patients, string template = Template)
    {
        var templateFile = Path.Combine(_files.FullName, $"{Guid.NewGuid():N}.liquid");
        await File.WriteAllTextAsync(templateFile, template);
        var patientsFile = Path.Combine(_files.FullName, $"{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(patientsFile, ["patient_id", .. patients]);
        return ["--name", "Spring peels", "--template-fr-file", templateFile, "--subject-fr", "Offre de printemps", "--channels", "email", "--patients", patientsFile];
    }

    private static CampaignDefinition Definition(IReadOnlyList<string> patients, string template = Template) => new()
    {
        Name = "Spring peels",
        Templates = new() { ["fr"] = template },
        Subjects = new() { ["fr"] = "Offre de printemps" },
        Channels = ["email"],
        PatientIds = [.. patients],
    };

    private async Task<List<(string IntentId, string PatientId, string Outcome, string[] Reasons)>> WaitForDecisionsAsync(string tenantId, string campaignId, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await using var connection = await gateway.Db.OpenConnectionAsync();
            var rows = (await connection.QueryAsync<(string, string, string, string[])>(
                "select intent_id, patient_id, outcome, reasons from decisions where tenant_id = @tenantId and campaign_id = @campaignId order by seq",
                new { tenantId, campaignId })).ToList();
            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(200);
        }
    }

    private async Task<int> CountAsync(string sql, object args)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>(sql, args);
    }

    /// <summary>Granted on email (sent), no grant (blocked), no address (blocked): three reasons, two outcomes.</summary>
    private async Task<(Clinic Clinic, string Granted, string NoGrant, string NoEmail)> AudienceAsync()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var granted = await PatientAsync(clinic);
        (await clinic.GrantAsync(granted, "email")).EnsureSuccessStatusCode();
        var noGrant = await PatientAsync(clinic);
        var noEmail = await PatientAsync(clinic, email: false);
        (await clinic.GrantAsync(noEmail, "email")).EnsureSuccessStatusCode();
        return (clinic, granted, noGrant, noEmail);
    }

    [Fact]
    public async Task Should_preview_the_audience_and_per_reason_counts_the_service_computes_and_queue_nothing()
    {
        var (clinic, granted, noGrant, noEmail) = await AudienceAsync();
        string[] patients = [granted, noGrant, noEmail, "not-on-record"];
        var expected = await Campaigns.PreviewAsync(clinic.TenantId, Definition(patients), null, default);
        var email = Assert.Single(expected.Channels);
        Assert.Equal(new Dictionary<string, int> { [ReasonCodes.MarketingConsentGranted] = 1 }, email.Outcomes["Sent"].Reasons);
        Assert.Equal(new Dictionary<string, int> { [ReasonCodes.NoMarketingConsent] = 1, [ReasonCodes.NoContactPoint] = 1 },
            email.Outcomes["Blocked"].Reasons); // the fixture is what it claims to be

        var result = await RunAsync(["campaign", "preview", "--tenant", clinic.TenantId, .. await DefinitionArgsAsync(patients)]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"Audience: {expected.AudienceSize} patient(s), 1 not on record (skipped)", result.Console, StringComparison.Ordinal);
        // Table rows in order: an outcome row (channel and recipients on the first), then that outcome's reasons.
        var shown = new Dictionary<string, (int Count, Dictionary<string, int> Reasons)>();
        string? current = null;
        foreach (var row in Rows(result.Console).Where(r => r.Length == 5 && r[4] != "Count"))
        {
            if (row[2].Length > 0)
            {
                current = row[2];
                shown[current] = (int.Parse(row[4], CultureInfo.InvariantCulture), []);
            }
            else if (current is not null && row[3].Length > 0)
            {
                shown[current].Reasons[row[3]] = int.Parse(row[4], CultureInfo.InvariantCulture);
            }
        }

        Assert.Equal(email.Outcomes.Keys.Order(), shown.Keys.Order());
        foreach (var (outcome, counted) in email.Outcomes)
        {
            Assert.Equal(counted.Count, shown[outcome].Count);
            Assert.Equal(counted.Reasons.OrderBy(r => r.Key), shown[outcome].Reasons.OrderBy(r => r.Key));
        }

        Assert.Contains($"{granted} by email (Sent)", result.Console, StringComparison.Ordinal); // the sample panel
        Assert.Contains("Bonjour Camille,", result.Console, StringComparison.Ordinal);
        Assert.Contains("/u/", result.Console, StringComparison.Ordinal); // with its unsubscribe footer

        var json = await RunAsync(["campaign", "preview", "--tenant", clinic.TenantId, "--json", .. await DefinitionArgsAsync(patients)]);
        Assert.Equal(0, json.ExitCode);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(expected.AudienceSize, document.RootElement.GetProperty("audienceSize").GetInt32());
        var outcomesJson = Assert.Single(document.RootElement.GetProperty("channels").EnumerateArray()).GetProperty("outcomes");
        foreach (var (outcome, counted) in email.Outcomes)
        {
            Assert.Equal(counted.Count, outcomesJson.GetProperty(outcome).GetProperty("count").GetInt32());
            Assert.Equal(counted.Reasons.OrderBy(r => r.Key),
                outcomesJson.GetProperty(outcome).GetProperty("reasons").EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetInt32())).OrderBy(r => r.Key));
        }

        Assert.Equal(0, await CountAsync("select count(*) from campaigns where tenant_id = @t", new { t = clinic.TenantId }));
    }

    [Fact]
    public async Task Should_queue_with_a_final_summary_and_queue_again_harmlessly()
    {
        var (clinic, granted, noGrant, noEmail) = await AudienceAsync();

        string[] queue = ["campaign", "queue", "--tenant", clinic.TenantId, "--actor", "marketing@clinic", .. await DefinitionArgsAsync([granted, noGrant, noEmail])];
        var declined = await AnswerAsync("n", queue);
        Assert.Equal(1, declined.ExitCode);
        Assert.Contains("Audience: 3 patient(s)", declined.Console, StringComparison.Ordinal); // the preview summary, before the question
        Assert.Contains("Queue this campaign to 3 patient(s) (1 message(s) would be sent now)?", declined.Console, StringComparison.Ordinal);
        Assert.Contains("Nothing was queued", declined.Console, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("select count(*) from campaigns where tenant_id = @t", new { t = clinic.TenantId }));

        var result = await AnswerAsync("y", queue);

        Assert.Equal(0, result.ExitCode);
        var id = Created().Match(result.Console).Groups[1].Value;
        Assert.StartsWith("cmp-", id, StringComparison.Ordinal);
        Assert.Contains($"Queued 3 intent(s) of {id} in ", result.Console, StringComparison.Ordinal);
        Assert.Contains("confirmed by the broker", result.Console, StringComparison.Ordinal);
        Assert.Contains($"commsgw campaign report {id} --tenant {clinic.TenantId}", result.Console, StringComparison.Ordinal);

        // The gateway under test decides what the command published.
        var decided = await WaitForDecisionsAsync(clinic.TenantId, id, 3);
        Assert.Equal(3, decided.Count);
        Assert.Equal("Sent", decided.Single(d => d.PatientId == granted).Outcome);
        Assert.Equal([ReasonCodes.NoMarketingConsent], decided.Single(d => d.PatientId == noGrant).Reasons);
        Assert.Equal([ReasonCodes.NoContactPoint], decided.Single(d => d.PatientId == noEmail).Reasons);

        // As after an interruption: the same campaign queued again publishes the same intent ids; the gateway drops them.
        var again = await RunAsync("campaign", "queue", "--tenant", clinic.TenantId, "--id", id, "--yes");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains($"Queued 3 intent(s) of {id}", again.Console, StringComparison.Ordinal);
        Assert.DoesNotContain("Created campaign", again.Console, StringComparison.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (gateway.Decided.Count(d => d.CampaignId == id && d.Outcome == DecisionOutcome.Duplicate) < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(3, gateway.Decided.Count(d => d.CampaignId == id && d.Outcome == DecisionOutcome.Duplicate));
        Assert.Equal(decided.Select(d => d.IntentId), (await WaitForDecisionsAsync(clinic.TenantId, id, 3)).Select(d => d.IntentId)); // no new decision row
        var atProvider = gateway.Fake.AcceptedPerIntent.Where(p => p.Key.StartsWith($"cmp:{id}:", StringComparison.Ordinal)).ToList();
        Assert.Equal(1, Assert.Single(atProvider).Value); // the granted patient, once
        Assert.Equal(1, await CountAsync("select count(*) from campaigns where tenant_id = @t", new { t = clinic.TenantId }));

        var unknown = await RunAsync("campaign", "queue", "--tenant", clinic.TenantId, "--id", "cmp-nope", "--yes");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("No campaign cmp-nope", unknown.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_report_as_a_table_and_export_one_csv_row_per_recipient_without_contact_data()
    {
        var (clinic, granted, noGrant, noEmail) = await AudienceAsync();
        var id = await Campaigns.CreateAsync(clinic.TenantId, Definition([granted, noGrant, noEmail]), new("test"), default);
        Assert.True((await Campaigns.QueueAsync(clinic.TenantId, id, null, default)).Ok);
        Assert.Equal(3, (await WaitForDecisionsAsync(clinic.TenantId, id, 3)).Count);
        var report = (await gateway.Services.GetRequiredService<CampaignReports>().ReportAsync(clinic.TenantId, id, default))!;
        var csv = Path.Combine(_files.FullName, "report.csv");

        var result = await RunAsync("campaign", "report", id, "--tenant", clinic.TenantId, "--csv", csv);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"Spring peels ({id}): queued, 3 queued, 3 decided, 0 unsubscribe(s)", result.Console, StringComparison.Ordinal);
        var rows = Rows(result.Console);
        Assert.NotEmpty(report.Outcomes);
        Assert.NotEmpty(report.Reasons);
        foreach (var row in report.Outcomes.Concat(report.Reasons))
        {
            Assert.Contains(rows, r => r.SequenceEqual([row.Key, row.Detail ?? "-", row.Count.ToString(CultureInfo.InvariantCulture)]));
        }

        Assert.Contains(rows, r => r.SequenceEqual([ReasonCodes.NoContactPoint, "Blocked", "1"]));
        Assert.Contains($"Wrote {csv}", result.Console, StringComparison.Ordinal);
        var lines = (await File.ReadAllTextAsync(csv)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("patient_id,channel,outcome,reasons,dispatch_status,decided_at,provider_code", lines[0]);
        Assert.Equal(new[] { granted, noEmail, noGrant }.Order(StringComparer.Ordinal), lines[1..].Select(l => l.Split(',')[0]).Order(StringComparer.Ordinal));
        Assert.StartsWith($"{noGrant},email,Blocked,{ReasonCodes.NoMarketingConsent},", lines.Single(l => l.StartsWith(noGrant, StringComparison.Ordinal)), StringComparison.Ordinal);
        var text = string.Join('\n', lines);
        Assert.DoesNotContain("@", text, StringComparison.Ordinal);
        Assert.DoesNotContain("+33", text, StringComparison.Ordinal);

        var missing = await RunAsync("campaign", "report", "cmp-nope", "--tenant", clinic.TenantId);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("No campaign cmp-nope", missing.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_block_the_intents_still_queued_once_cancelled_from_the_cli()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patients = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var patient = await PatientAsync(clinic);
            (await clinic.GrantAsync(patient, "email")).EnsureSuccessStatusCode();
            patients.Add(patient);
        }

        var id = await Campaigns.CreateAsync(clinic.TenantId, Definition(patients), new("test"), default);
        var prepared = await gateway.Services.GetRequiredService<CampaignMessages>().PrepareAsync(clinic.TenantId, id, "Test clinic", Definition(patients), default);
        var intents = prepared.Messages.Select(m => m.Intent).ToList();
        var publisher = gateway.Services.GetRequiredService<CampaignPublisher>();
        await publisher.PublishAsync(intents[..2], null, default);
        Assert.All(await WaitForDecisionsAsync(clinic.TenantId, id, 2), d => Assert.Equal("Sent", d.Outcome));

        var result = await RunAsync("campaign", "cancel", id, "--tenant", clinic.TenantId, "--actor", "marketing@clinic");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Cancelled: messages not yet decided will be blocked", result.Console, StringComparison.Ordinal);
        // The rest were still on the queue when the assistant cancelled.
        await publisher.PublishAsync(intents[2..], null, default);
        var decided = await WaitForDecisionsAsync(clinic.TenantId, id, 6);
        Assert.Equal(6, decided.Count);
        Assert.All(decided.Where(d => intents[2..].Any(i => i.IntentId == d.IntentId)), d =>
        {
            Assert.Equal("Blocked", d.Outcome);
            Assert.Equal([ReasonCodes.CampaignCancelled], d.Reasons);
        });

        var requeue = await AnswerAsync("y", "campaign", "queue", "--tenant", clinic.TenantId, "--id", id);
        Assert.Equal(1, requeue.ExitCode);
        Assert.Contains("the campaign is cancelled", requeue.Console, StringComparison.Ordinal);
        var report = await RunAsync("campaign", "report", id, "--tenant", clinic.TenantId);
        Assert.Contains($"({id}): cancelled", report.Console, StringComparison.Ordinal);
        Assert.Contains(Rows(report.Console), r => r.SequenceEqual([ReasonCodes.CampaignCancelled, "Blocked", "4"]));

        var unknown = await RunAsync("campaign", "cancel", "cmp-nope", "--tenant", clinic.TenantId);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("No such campaign", unknown.Console, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_1_naming_the_line_and_placeholder_when_a_template_cannot_render()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var named = await PatientAsync(clinic);
        var nameless = await PatientAsync(clinic, firstName: null);
        (await clinic.GrantAsync(named, "email")).EnsureSuccessStatusCode();

        var missing = await RunAsync(["campaign", "queue", "--tenant", clinic.TenantId, .. await DefinitionArgsAsync([named, nameless])]);

        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"patient {nameless}: template fr, line 1: {{{{ patient.first_name }}}}", missing.Console, StringComparison.Ordinal);
        Assert.Contains("Nothing was queued", missing.Console, StringComparison.Ordinal);
        Assert.DoesNotContain("Queued ", missing.Console, StringComparison.Ordinal);

        var unknown = await RunAsync(["campaign", "queue", "--tenant", clinic.TenantId,
            .. await DefinitionArgsAsync([named], "Bonjour,\n\nvotre code : {{ offer.code }}")]);

        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("template fr, line 3: {{ offer.code }} is not a known placeholder", unknown.Console, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("select count(*) from campaigns where tenant_id = @t and status <> 'draft'", new { t = clinic.TenantId }));
        Assert.Equal(0, await CountAsync("select count(*) from decisions where tenant_id = @t", new { t = clinic.TenantId }));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Npgsql;

namespace CommsGateway.IntegrationTests.Features.Consent;

[Collection(GatewayCollection.Name)]
public sealed class ConsentLedgerTests(GatewayFixture gateway)
{
    private async Task<(Clinic Clinic, string Patient)> PatientAsync()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { firstName = "Claire", email = "claire@example.fr", phone = "06 12 34 56 78" })).EnsureSuccessStatusCode();
        return (clinic, patient);
    }

    [Fact]
    public async Task Should_refuse_a_grant_covering_two_channels()
    {
        var (clinic, patient) = await PatientAsync();

        var response = await clinic.Http.PostAsJsonAsync($"/api/patients/{patient}/consents",
            new { purpose = "marketing", channels = new[] { "email", "sms" }, evidence = Clinic.Evidence() });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ConsentBundled", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await clinic.CurrentAsync(patient));
    }

    [Fact]
    public async Task Should_refuse_a_grant_covering_two_purposes()
    {
        var (clinic, patient) = await PatientAsync();

        var response = await clinic.Http.PostAsJsonAsync($"/api/patients/{patient}/consents",
            new { purposes = new[] { "marketing", "service" }, channel = "email", evidence = Clinic.Evidence() });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ConsentBundled", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await clinic.CurrentAsync(patient));
    }

    [Fact]
    public async Task Should_refuse_a_pre_ticked_grant()
    {
        var (clinic, patient) = await PatientAsync();

        var response = await clinic.Http.PostAsJsonAsync($"/api/patients/{patient}/consents",
            new { purpose = "marketing", channel = "sms", evidence = Clinic.Evidence(preTicked: true) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ConsentPreTicked", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await clinic.CurrentAsync(patient));
    }

    [Fact]
    public async Task Should_follow_grant_then_withdraw_then_grant_and_keep_the_full_history()
    {
        var (clinic, patient) = await PatientAsync();

        var first = await (await clinic.GrantAsync(patient, "email")).Content.ReadFromJsonAsync<Recorded>();
        Assert.True(Assert.Single(await clinic.CurrentAsync(patient)).Granted);

        (await clinic.WithdrawAsync(patient, "email")).EnsureSuccessStatusCode();
        var afterWithdrawal = Assert.Single(await clinic.CurrentAsync(patient));
        Assert.False(afterWithdrawal.Granted);

        var again = await (await clinic.GrantAsync(patient, "email")).Content.ReadFromJsonAsync<Recorded>();
        var current = Assert.Single(await clinic.CurrentAsync(patient));
        Assert.True(current.Granted);
        Assert.Equal(Assert.Single(again!.EventIds), current.EventId);
        Assert.NotEqual(Assert.Single(first!.EventIds), current.EventId);

        var history = await clinic.Http.GetFromJsonAsync<JsonElement>($"/api/patients/{patient}/consents/history");
        Assert.Equal(["grant", "withdraw", "grant"], history.EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        var grant = history[0];
        Assert.Equal("mkt-v3", grant.GetProperty("wordingVersion").GetString());
        Assert.Equal(Clinic.WordingSha256.ToUpperInvariant(), grant.GetProperty("wordingSha256").GetString());
        Assert.Equal("203.0.113.7", grant.GetProperty("ip").GetString());
        Assert.Contains("dr.martin", grant.GetProperty("recordedBy").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_UPDATE_and_DELETE_on_the_ledger()
    {
        var (clinic, patient) = await PatientAsync();
        (await clinic.GrantAsync(patient, "sms")).EnsureSuccessStatusCode();
        await using var connection = await gateway.Db.OpenConnectionAsync();

        var update = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(
            "update consent_events set action = 'withdraw' where tenant_id = @t", new { t = clinic.TenantId }));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(
            "delete from consent_events where tenant_id = @t", new { t = clinic.TenantId }));

        Assert.Contains("append-only", update.MessageText, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.MessageText, StringComparison.Ordinal);
        Assert.True(Assert.Single(await clinic.CurrentAsync(patient)).Granted);
    }

    [Fact]
    public async Task Should_end_concurrent_grants_and_withdrawals_in_the_state_of_the_latest_event()
    {
        var (clinic, patient) = await PatientAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-10);

        // 40 concurrent requests: distinct occurred_at for the first 30, then 10 sharing the last instant
        // (ties resolved by recording order). Whatever the interleaving, the state is the latest event's.
        var requests = Enumerable.Range(0, 40).Select(i =>
        {
            var occurred = i < 30 ? at.AddSeconds(i) : at.AddSeconds(30);
            return i % 2 == 0 ? clinic.GrantAsync(patient, "sms", occurredAt: occurred) : clinic.WithdrawAsync(patient, "sms", occurredAt: occurred);
        }).ToList();
        var responses = await Task.WhenAll(requests);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));

        await using var connection = await gateway.Db.OpenConnectionAsync();
        var expected = await connection.QueryFirstAsync<(long EventId, string Action)>("""
            select event_id, action from consent_events where tenant_id = @t and patient_id = @p
            order by occurred_at desc, event_id desc limit 1
            """, new { t = clinic.TenantId, p = patient });
        var current = Assert.Single(await clinic.CurrentAsync(patient));
        Assert.Equal(expected.EventId, current.EventId);
        Assert.Equal(expected.Action == "grant", current.Granted);
        Assert.Equal(40, await connection.ExecuteScalarAsync<long>(
            "select count(*) from consent_events where tenant_id = @t and patient_id = @p", new { t = clinic.TenantId, p = patient }));
    }

    [Fact]
    public async Task Should_read_the_same_current_consent_per_patient_as_the_consent_current_view()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patients = Enumerable.Range(0, 3).Select(_ => Clinic.NewPatient()).ToList();
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        foreach (var (patient, p) in patients.Select((x, i) => (x, i)))
        {
            (await clinic.PutContactAsync(patient, new { email = $"v{p}@example.fr", phone = "06 12 34 56 78" })).EnsureSuccessStatusCode();
            // Per channel: grants and withdrawals, out of order, two of them at the same instant (the later event wins).
            (await clinic.GrantAsync(patient, "email", occurredAt: at.AddMinutes(5))).EnsureSuccessStatusCode();
            (await clinic.WithdrawAsync(patient, "email", occurredAt: at.AddMinutes(p))).EnsureSuccessStatusCode();
            (await clinic.GrantAsync(patient, "sms", occurredAt: at)).EnsureSuccessStatusCode();
            (await clinic.WithdrawAsync(patient, "sms", occurredAt: at)).EnsureSuccessStatusCode();
            if (p > 0)
            {
                (await clinic.GrantAsync(patient, "whatsapp", purpose: "service", occurredAt: at)).EnsureSuccessStatusCode();
            }
        }

        await using var connection = await gateway.Db.OpenConnectionAsync();
        var view = await connection.QueryAsync<(string, long, string, string, string)>("""
            select patient_id, event_id, purpose, channel, action from consent_current where tenant_id = @t
            order by patient_id, event_id
            """, new { t = clinic.TenantId });
        var perPatient = await connection.QueryAsync<(string, long, string, string, string)>("""
            select k.patient_id, cc.event_id, cc.purpose, cc.channel, cc.action
            from unnest(@patients) as k(patient_id) cross join lateral consent_current_of(@t, k.patient_id) cc
            order by k.patient_id, cc.event_id
            """, new { t = clinic.TenantId, patients = patients.ToArray() });

        Assert.Equal(3 * 2 + 2, view.Count());
        Assert.Equal(view, perPatient);
        Assert.All(view.Where(r => r.Item4 == "sms"), r => Assert.Equal("withdraw", r.Item5));
    }

    [Fact]
    public async Task Should_answer_404_to_another_clinics_key()
    {
        var (clinicA, patient) = await PatientAsync();
        (await clinicA.GrantAsync(patient, "email")).EnsureSuccessStatusCode();
        var clinicB = await Clinic.CreateAsync(gateway);

        Assert.Equal(HttpStatusCode.NotFound, (await clinicB.Http.GetAsync($"/api/patients/{patient}/consents")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clinicB.Http.GetAsync($"/api/patients/{patient}/consents/history")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clinicB.Http.GetAsync($"/api/patients/{patient}/export")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clinicB.WithdrawAsync(patient, "email")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clinicB.Http.DeleteAsync($"/api/patients/{patient}")).StatusCode);
        // Clinic A's patient is untouched by B's attempts.
        Assert.True(Assert.Single(await clinicA.CurrentAsync(patient)).Granted);
    }

    [Fact]
    public async Task Should_refuse_requests_without_a_valid_key()
    {
        var (clinic, patient) = await PatientAsync();
        using var anonymous = gateway.Factory.CreateClient();
        using var forged = gateway.Factory.CreateClient();
        var keyId = clinic.ApiKey.Split('.')[0];
        forged.DefaultRequestHeaders.Add("X-Api-Key", keyId + ".not-the-secret");
        using var viaHeader = gateway.Factory.CreateClient();
        viaHeader.DefaultRequestHeaders.Add("X-Api-Key", clinic.ApiKey);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/patients/{patient}/consents")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync($"/api/patients/{patient}/consents")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viaHeader.GetAsync($"/api/patients/{patient}/consents")).StatusCode);
    }

    [Fact]
    public async Task Should_refuse_a_phone_that_does_not_parse_with_the_reason()
    {
        var clinic = await Clinic.CreateAsync(gateway);

        var response = await clinic.PutContactAsync(Clinic.NewPatient(), new { phone = "06 12 34" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not a valid number", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_describe_the_admin_api_in_OpenAPI()
    {
        using var http = gateway.Factory.CreateClient();

        var document = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/patients/{patientId}/consents", paths);
        Assert.Contains("/api/patients/{patientId}/export", paths);
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task Should_record_who_performed_each_admin_write()
    {
        var (clinic, patient) = await PatientAsync();
        (await clinic.GrantAsync(patient, "email")).EnsureSuccessStatusCode();
        (await clinic.WithdrawAsync(patient, "email")).EnsureSuccessStatusCode();
        (await clinic.Http.GetAsync($"/api/patients/{patient}/export")).EnsureSuccessStatusCode();
        (await clinic.Http.DeleteAsync($"/api/patients/{patient}")).EnsureSuccessStatusCode();
        await using var connection = await gateway.Db.OpenConnectionAsync();

        var audit = (await connection.QueryAsync<(string Action, string Actor, string OnBehalf)>(
            "select action, actor, on_behalf from admin_audit where tenant_id = @t and patient_id = @p order by audit_id",
            new { t = clinic.TenantId, p = patient })).ToList();

        Assert.Equal(["contact.upsert", "consent.grant", "consent.withdraw", "patient.export", "patient.erase"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.StartsWith("key:ck_", a.Actor, StringComparison.Ordinal));
        Assert.All(audit, a => Assert.Equal("dr.martin", a.OnBehalf));
    }
}

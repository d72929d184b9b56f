using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Admin;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Admin;

/// <summary>Bad input at the gateway's HTTP and bus edges: refused with a named limit, as problem+json, nothing stored.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BadInputApiTests(GatewayFixture gateway)
{
    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static object Evidence(Dictionary<string, string> extra) => new
    {
        source = "web_form", wordingVersion = "mkt-v3", wordingSha256 = Clinic.WordingSha256, capturedBy = "booking-portal", extra,
    };

    private async Task<(Clinic Clinic, string Patient)> PatientAsync()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { firstName = "Claire", email = "claire@example.fr" })).EnsureSuccessStatusCode();
        return (clinic, patient);
    }

    private async Task<long> LedgerCountAsync(Clinic clinic, string patient)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from consent_events where tenant_id = @t and patient_id = @patient",
            new { t = clinic.TenantId, patient });
    }

    [Fact]
    public async Task Should_refuse_a_5_MB_evidence_with_413_naming_the_body_limit()
    {
        var (clinic, patient) = await PatientAsync();

        using var response = await clinic.Http.PostAsJsonAsync($"/api/patients/{patient}/consents",
            new { purpose = "marketing", channel = "email", evidence = Evidence(new() { ["note"] = new string('x', 5 * 1024 * 1024) }) });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.Equal("urn:commsgw:problem:body-too-large", problem.GetProperty("type").GetString());
        Assert.Equal(16 * 1024, problem.GetProperty("limitBytes").GetInt64());
        Assert.Contains("16384 bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await LedgerCountAsync(clinic, patient));
    }

    [Fact]
    public async Task Should_cut_off_a_chunked_body_without_content_length_at_the_limit()
    {
        var (clinic, patient) = await PatientAsync();
        var json = JsonSerializer.Serialize(new { purpose = "marketing", channel = "email", evidence = Evidence(Enumerable.Range(0, 200_000).ToDictionary(i => "k" + i, _ => "v")) });
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/patients/{patient}/consents") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await clinic.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("urn:commsgw:problem:body-too-large", (await ProblemAsync(response)).GetProperty("type").GetString());
        Assert.Equal(0, await LedgerCountAsync(clinic, patient));
    }

    [Fact]
    public async Task Should_refuse_evidence_with_too_many_keys_with_400_naming_the_limit()
    {
        var (clinic, patient) = await PatientAsync();

        using var response = await clinic.Http.PostAsJsonAsync($"/api/patients/{patient}/consents",
            new { purpose = "marketing", channel = "email", evidence = Evidence(Enumerable.Range(0, 65).ToDictionary(i => "k" + i, _ => "v")) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.Equal("urn:commsgw:problem:evidence-too-large", problem.GetProperty("type").GetString());
        Assert.Equal("evidence.extra has 65 keys; the limit is 64", problem.GetProperty("detail").GetString());
        Assert.Equal(64, problem.GetProperty("maxExtraKeys").GetInt32());
        Assert.Equal(0, await LedgerCountAsync(clinic, patient));
    }

    [Theory]
    [InlineData("p-1\u202Etxt")]
    [InlineData("p\u200B1")]
    [InlineData("p\u20661")]
    public async Task Should_refuse_a_patient_id_with_bidi_or_zero_width_characters(string patient)
    {
        var clinic = await Clinic.CreateAsync(gateway);

        using var response = await clinic.PutContactAsync(Uri.EscapeDataString(patient), new { email = "claire@example.fr" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.Equal("urn:commsgw:problem:invalid-identifier", problem.GetProperty("type").GetString());
        Assert.Equal("patientId", problem.GetProperty("field").GetString());
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from contacts where tenant_id = @t", new { t = clinic.TenantId }));
    }

    [Fact]
    public async Task Should_reject_an_intent_whose_patient_id_holds_a_right_to_left_override()
    {
        var tenant = Seed.NewTenant();
        var intent = Seed.Service(tenant, "p-1\u202Etxt.exe", Channel.Sms);
        await Seed.ClinicAsync(gateway, tenant);

        var row = await Seed.DecideAsync(gateway, intent);

        Assert.Equal("Rejected", row.Outcome);
        Assert.Equal([ReasonCodes.InvalidField], row.Reasons);
        Assert.Contains(row.Details, d => d.StartsWith("patientId", StringComparison.Ordinal) && d.Contains("U+202E", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_reject_an_intent_due_in_year_9999_instead_of_parking_it()
    {
        var (tenant, patient) = (Seed.NewTenant(), Seed.NewPatient());
        await Seed.PatientAsync(gateway, tenant, patient, Seed.NewEmail(), Seed.NewMobile());
        var intent = Seed.Service(tenant, patient, Channel.Sms) with { NotBefore = new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero) };

        var row = await Seed.DecideAsync(gateway, intent);

        Assert.Equal("Rejected", row.Outcome);
        Assert.Equal([ReasonCodes.InvalidField], row.Reasons);
        Assert.Contains(row.Details, d => d.StartsWith("notBefore", StringComparison.Ordinal) && d.Contains("400 days", StringComparison.Ordinal));
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from deferred_intents where intent_id = @IntentId", new { intent.IntentId }));
    }

    private HttpClient Client(string? authorization = null, string? apiKeyHeader = null)
    {
        var http = gateway.Factory.CreateClient();
        if (authorization is not null)
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        if (apiKeyHeader is not null)
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKeyHeader);
        }

        return http;
    }

    [Theory]
    [InlineData(null, null, "urn:commsgw:problem:auth-missing", "Bearer realm=\"commsgw\"")]
    [InlineData("Basic dXNlcjpwYXNz", null, "urn:commsgw:problem:auth-malformed", "Bearer realm=\"commsgw\", error=\"invalid_request\"")]
    [InlineData("Bearer", null, "urn:commsgw:problem:auth-malformed", "Bearer realm=\"commsgw\", error=\"invalid_request\"")]
    [InlineData("Bearer no-dot-in-it", null, "urn:commsgw:problem:auth-malformed", "Bearer realm=\"commsgw\", error=\"invalid_request\"")]
    [InlineData(null, "ck_0123456789abcdef", "urn:commsgw:problem:auth-malformed", "Bearer realm=\"commsgw\", error=\"invalid_request\"")]
    [InlineData("Bearer ck_0123456789abcdef.wrong-secret", null, "urn:commsgw:problem:auth-invalid", "Bearer realm=\"commsgw\", error=\"invalid_token\"")]
    public async Task Should_answer_401_with_WWW_Authenticate_and_say_whether_the_key_is_missing_malformed_or_refused(
        string? authorization, string? apiKeyHeader, string type, string challenge)
    {
        using var http = Client(authorization, apiKeyHeader);

        using var response = await http.GetAsync(new Uri("/api/patients/p-1/consents", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(challenge, Assert.Single(response.Headers.WwwAuthenticate).ToString());
        var problem = await ProblemAsync(response);
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Should_answer_a_malformed_json_body_with_a_problem_that_echoes_no_header()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        using var content = new StringContent("""{"purpose": "marketing", "channel": """, Encoding.UTF8, "application/json");

        using var response = await clinic.Http.PostAsync(new Uri("/api/patients/p-1/consents", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("urn:commsgw:problem:bad-request", (await ProblemAsync(response)).GetProperty("type").GetString());
        Assert.DoesNotContain(clinic.ApiKey.Split('.')[1], body, StringComparison.Ordinal);
        Assert.DoesNotContain("Authorization", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_answer_an_unknown_route_with_a_404_problem()
    {
        using var http = Client();

        using var response = await http.GetAsync(new Uri("/api/no-such-thing", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("urn:commsgw:problem:not-found", (await ProblemAsync(response)).GetProperty("type").GetString());
    }

    private async Task<HttpClient> OperatorAsync()
    {
        var key = await gateway.Services.GetRequiredService<TenantDirectory>().IssueOperatorKeyAsync("tests", new Actor("test"), CancellationToken.None);
        var http = gateway.Factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        http.DefaultRequestHeaders.Add("X-Actor", "onboarding");
        return http;
    }

    [Fact]
    public async Task Should_add_a_clinic_with_its_senders_through_the_API_and_let_its_key_send_as_it()
    {
        using var op = await OperatorAsync();
        var tenant = Seed.NewTenant();

        using var created = await op.PostAsJsonAsync("/api/tenants", new
        {
            tenantId = tenant, name = "Clinique du Parc", timeZone = "Europe/Paris",
            sender = new { emailFrom = "rdv@parc.example", emailFromName = "Clinique du Parc", helpContact = "01 02 03 04 05" },
        });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["sms", "whatsapp"], body.GetProperty("channelsWithoutSender").EnumerateArray().Select(c => c.GetString()));
        using var clinic = gateway.Factory.CreateClient();
        clinic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("apiKey").GetString());
        (await clinic.PutAsJsonAsync("/api/patients/p-1/contact", new { email = "claire@example.fr", phone = "+33612345678" })).EnsureSuccessStatusCode();

        var email = Seed.Service(tenant, "p-1", Channel.Email);
        var sms = Seed.Service(tenant, "p-1", Channel.Sms);
        Assert.Equal("Sent", (await Seed.DecideAsync(gateway, email)).Outcome);
        Assert.Equal([ReasonCodes.NoSenderIdentity], (await Seed.DecideAsync(gateway, sms)).Reasons);
        await gateway.WaitForDecidedAsync(email.IntentId);
        Assert.Equal("rdv@parc.example", Assert.Single(gateway.Fake.Accepted, m => m.IntentId == email.IntentId).From);

        // The clinic's key manages its patients, not clinics; the operator key the reverse.
        Assert.Equal(HttpStatusCode.Forbidden, (await clinic.GetAsync(new Uri($"/api/tenants/{tenant}/sender", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync(new Uri("/api/patients/p-1/consents", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Should_set_a_sender_through_the_API_and_refuse_a_malformed_one()
    {
        using var op = await OperatorAsync();
        var tenant = Seed.NewTenant();
        (await op.PostAsJsonAsync("/api/tenants", new { tenantId = tenant, name = "Cabinet", sender = new { } })).EnsureSuccessStatusCode();

        using var bad = await op.PutAsJsonAsync($"/api/tenants/{tenant}/sender", new { smsFrom = "call us", whatsAppFrom = "whatsapp:+33700000002" });
        using var good = await op.PutAsJsonAsync($"/api/tenants/{tenant}/sender", new { smsFrom = "+33700000077" });
        using var missing = await op.PutAsJsonAsync("/api/tenants/no-such-clinic/sender", new { smsFrom = "+33700000077" });

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("urn:commsgw:problem:validation", (await ProblemAsync(bad)).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal("+33700000077", (await good.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("smsFrom").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Should_import_contacts_from_a_csv_body_as_the_cli_does()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        const string csv = "patient_id,first_name,email,phone\r\np-1,Claire,claire@example.fr,06 12 34 56 78\r\np-2,Jean,,not a phone\r\n\"p-3\u202E\",Eve,eve@example.fr,\r\np-1,Dup,dup@example.fr,\r\n";
        using var content = new StringContent(csv, Encoding.UTF8, "text/csv");

        using var response = await clinic.Http.PostAsync(new Uri("/api/contacts/import", UriKind.Relative), content);
        using var json = await clinic.Http.PostAsJsonAsync("/api/contacts/import", new { csv });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, result.GetProperty("imported").GetInt32());
        Assert.Equal([3, 4, 5], result.GetProperty("rejectedRows").EnumerateArray().Select(r => r.GetProperty("line").GetInt32()));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        Assert.Equal(["p-1"], await connection.QueryAsync<string>("select patient_id from contacts where tenant_id = @t", new { t = clinic.TenantId }));
    }

    [Fact]
    public async Task Should_document_security_problems_actor_and_enums_in_OpenAPI()
    {
        using var http = Client();

        var document = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        var grant = paths.GetProperty("/api/patients/{patientId}/consents").GetProperty("post");
        Assert.Single(grant.GetProperty("security").EnumerateArray());
        foreach (var status in new[] { "400", "401", "403", "404", "413" })
        {
            Assert.True(grant.GetProperty("responses").TryGetProperty(status, out _), $"grant documents {status}");
        }

        Assert.Contains(grant.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "X-Actor" && p.GetProperty("in").GetString() == "header");
        var unsubscribe = paths.GetProperty("/u/{token}").GetProperty("post");
        Assert.Empty(unsubscribe.GetProperty("security").EnumerateArray());
        Assert.Empty(paths.GetProperty("/webhooks/sendgrid/events").GetProperty("post").GetProperty("security").EnumerateArray());
        Assert.Empty(paths.GetProperty("/health/live").GetProperty("get").GetProperty("security").EnumerateArray());
        Assert.True(paths.TryGetProperty("/api/tenants", out _));
        Assert.True(paths.TryGetProperty("/api/contacts/import", out _));
        var body = document.GetProperty("components").GetProperty("schemas").GetProperty("ConsentRequestBody");
        Assert.Equal(["marketing", "service", "photo_marketing"], body.GetProperty("properties").GetProperty("purpose").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("purpose", body.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }
}

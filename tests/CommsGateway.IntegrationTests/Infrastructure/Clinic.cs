using System.Net.Http.Headers;
using System.Net.Http.Json;
using CommsGateway.Features.Admin;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>A fresh clinic (tenant + API key) and an HTTP client authenticated as it.</summary>
internal sealed class Clinic
{
    public const string WordingSha256 = TestConsents.WordingSha256;

    private Clinic(string tenantId, HttpClient http, string apiKey)
    {
        TenantId = tenantId;
        Http = http;
        ApiKey = apiKey;
    }

    public string TenantId { get; }

    public HttpClient Http { get; }

    public string ApiKey { get; }

    public static async Task<Clinic> CreateAsync(GatewayFixture gateway, Dictionary<string, object?>? settings = null)
    {
        var tenantId = $"clinic-{Guid.NewGuid():N}"[..20];
        var key = await gateway.Services.GetRequiredService<TenantDirectory>()
            .AddTenantAsync(tenantId, "Test clinic", settings ?? [], FakeProviderSettings.SenderFor(tenantId), "tests", new Actor("test"), CancellationToken.None);
        var http = gateway.Factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        http.DefaultRequestHeaders.Add("X-Actor", "dr.martin");
        return new Clinic(tenantId, http, key);
    }

    public static string NewPatient() => $"p-{Guid.NewGuid():N}"[..14];

    public Task<HttpResponseMessage> PutContactAsync(string patientId, object contact) =>
        Http.PutAsJsonAsync($"/api/patients/{patientId}/contact", contact);

    public static object Evidence(bool preTicked = false) => new
    {
        source = "web_form", wordingVersion = "mkt-v3", wordingSha256 = WordingSha256, capturedBy = "booking-portal",
        formUrl = "https://clinic.example/consent", ip = "203.0.113.7", userAgent = "Mozilla/5.0 (test)", preTicked,
    };

    public Task<HttpResponseMessage> GrantAsync(string patientId, string channel, string purpose = "marketing", DateTimeOffset? occurredAt = null) =>
        Http.PostAsJsonAsync($"/api/patients/{patientId}/consents", new { purpose, channel, occurredAt, evidence = Evidence() });

    public Task<HttpResponseMessage> WithdrawAsync(string patientId, string channel, string purpose = "marketing", DateTimeOffset? occurredAt = null) =>
        Http.PostAsJsonAsync($"/api/patients/{patientId}/consents/withdrawals", new { purpose, channel, occurredAt, evidence = new { source = "staff_entry" } });

    public async Task<IReadOnlyList<ConsentCurrent>> CurrentAsync(string patientId)
    {
        var response = await Http.GetAsync($"/api/patients/{patientId}/consents");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<List<ConsentCurrent>>())!;
    }
}

internal sealed record ConsentCurrent(string Purpose, string? Channel, string? Placement, bool Granted, bool Lapsed, long EventId, DateTimeOffset OccurredAt);

internal sealed record Recorded(long[] EventIds);

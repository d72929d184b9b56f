using System.Net;
using System.Net.Http.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Audit;
using CommsGateway.Features.Intents;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Audit;

/// <summary>GET /api/decisions through the real API-key scheme (not a test scheme): scoped to the key's clinic, with `to` and `page`.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DecisionsApiKeyTests(GatewayFixture gateway)
{
    private async Task AppendAsync(string tenant, string intentId, DateTimeOffset at)
    {
        Assert.True(await gateway.Services.GetRequiredService<DecisionLog>().TryAppendAsync(new DecisionRecord(Guid.CreateVersion7(), tenant, intentId,
            "p-1", "booking", Channel.Sms, "appointment_reminder", null, Purpose.Service, Purpose.Service, DecisionOutcome.Blocked,
            [ReasonCodes.NoContactPoint], [], new byte[32], null, "test", null, at), default));
    }

    [Fact]
    public async Task Should_answer_a_real_key_with_its_clinics_decisions_bounded_by_to_and_paged()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var other = await Clinic.CreateAsync(gateway);
        var now = DateTimeOffset.UtcNow;
        await AppendAsync(clinic.TenantId, "old-1", now.AddDays(-3));
        await AppendAsync(clinic.TenantId, "old-2", now.AddDays(-2));
        await AppendAsync(clinic.TenantId, "old-3", now.AddDays(-2));
        await AppendAsync(clinic.TenantId, "recent", now.AddMinutes(-1));
        await AppendAsync(other.TenantId, "other-old", now.AddDays(-3));
        var to = Uri.EscapeDataString(now.AddDays(-1).ToString("O"));

        var page1 = await clinic.Http.GetFromJsonAsync<DecisionPage>(new Uri($"/api/decisions?to={to}&pageSize=2&page=1", UriKind.Relative));
        var page2 = await clinic.Http.GetFromJsonAsync<DecisionPage>(new Uri($"/api/decisions?to={to}&pageSize=2&page=2", UriKind.Relative));

        Assert.Equal(["old-1", "old-2"], page1!.Items.Select(i => i.IntentId));
        Assert.Equal(["old-3"], page2!.Items.Select(i => i.IntentId));
        Assert.All(page1.Items.Concat(page2.Items), i => Assert.Equal(clinic.TenantId, i.TenantId));
        var all = await clinic.Http.GetFromJsonAsync<DecisionPage>(new Uri("/api/decisions", UriKind.Relative));
        Assert.Equal(["old-1", "old-2", "old-3", "recent"], all!.Items.Select(i => i.IntentId));

        using var anonymous = gateway.Factory.CreateClient();
        anonymous.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", clinic.ApiKey.Split('.')[0] + ".wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/decisions", UriKind.Relative))).StatusCode);
    }
}

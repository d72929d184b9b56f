using System.Net;
using System.Net.Http.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Audit;
using CommsGateway.IntegrationTests.Infrastructure;

namespace CommsGateway.IntegrationTests.Features.Audit;

[Collection(OpsCollection.Name)]
public sealed class DecisionsApiTests(OpsFixture ops)
{
    private static MessageIntent Intent(string tenant, string id, string patient, Channel channel, string body, string? campaign = null) => new()
    {
        IntentId = id, TenantId = tenant, Producer = "booking", PatientId = patient, Channel = channel,
        DeclaredPurpose = campaign is null ? Purpose.Service : Purpose.Marketing, Category = campaign is null ? "appointment_reminder" : "campaign",
        CampaignId = campaign, Body = body, Subject = "Hi",
    };

    [Fact]
    public async Task Should_filter_and_page_the_callers_tenant_only()
    {
        var a = "t-api-a-" + Guid.NewGuid().ToString("N")[..8];
        var b = "t-api-b-" + Guid.NewGuid().ToString("N")[..8];
        await ops.PublishAsync(Intent(a, "a1", "p-1", Channel.Sms, "Reminder: appointment tomorrow at 10:30."));
        await ops.PublishAsync(Intent(a, "a2", "p-1", Channel.Email, "20% off all peels this month: book now!", "spring"));
        await ops.PublishAsync(Intent(a, "a3", "p-2", Channel.Sms, ""));
        await ops.PublishAsync(Intent(b, "b1", "p-1", Channel.Sms, "Reminder: appointment tomorrow at 10:30."));
        await ops.WaitForTenantDecisionsAsync(a, 3);
        await ops.WaitForTenantDecisionsAsync(b, 1);

        using var client = ops.ClientFor(a);
        var all = await client.GetFromJsonAsync<DecisionPage>(new Uri("/api/decisions", UriKind.Relative));
        Assert.Equal(["a1", "a2", "a3"], all!.Items.Select(i => i.IntentId).Order());
        Assert.All(all.Items, i => Assert.Equal(a, i.TenantId));
        Assert.Null(all.NextAfter);

        var patient = await client.GetFromJsonAsync<DecisionPage>(new Uri("/api/decisions?patient=p-1&channel=sms", UriKind.Relative));
        Assert.Equal("a1", Assert.Single(patient!.Items).IntentId);
        var campaign = await client.GetFromJsonAsync<DecisionPage>(new Uri("/api/decisions?campaign=spring", UriKind.Relative));
        Assert.Equal("a2", Assert.Single(campaign!.Items).IntentId);
        var rejected = await client.GetFromJsonAsync<DecisionPage>(new Uri($"/api/decisions?outcome=rejected&reason={ReasonCodes.MissingField}", UriKind.Relative));
        Assert.Equal("a3", Assert.Single(rejected!.Items).IntentId);
        var future = await client.GetFromJsonAsync<DecisionPage>(new Uri($"/api/decisions?from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}", UriKind.Relative));
        Assert.Empty(future!.Items);

        var first = await client.GetFromJsonAsync<DecisionPage>(new Uri("/api/decisions?pageSize=2", UriKind.Relative));
        Assert.Equal(2, first!.Items.Count);
        Assert.NotNull(first.NextAfter);
        var second = await client.GetFromJsonAsync<DecisionPage>(new Uri($"/api/decisions?pageSize=2&after={first.NextAfter}", UriKind.Relative));
        Assert.Single(second!.Items);
        Assert.Null(second.NextAfter);
        Assert.Equal(all.Items.Select(i => i.Seq), first.Items.Concat(second.Items).Select(i => i.Seq));

        using var other = ops.ClientFor(b);
        var seenByB = await other.GetFromJsonAsync<DecisionPage>(new Uri("/api/decisions", UriKind.Relative));
        Assert.Equal("b1", Assert.Single(seenByB!.Items).IntentId);
    }

    [Fact]
    public async Task Should_refuse_a_caller_without_a_tenant_and_bad_filters()
    {
        using var anonymous = ops.Factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/api/decisions", UriKind.Relative))).StatusCode);

        using var client = ops.ClientFor("t-any");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(new Uri("/api/decisions?outcome=Maybe", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(new Uri("/api/decisions?channel=fax", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(new Uri("/api/decisions?pageSize=0", UriKind.Relative))).StatusCode);
    }
}

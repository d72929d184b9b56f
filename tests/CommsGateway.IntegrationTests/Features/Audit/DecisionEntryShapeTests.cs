using System.Text.Json;
using CommsGateway.Features.Audit;

namespace CommsGateway.IntegrationTests.Features.Audit;

/// <summary>The DPO's decision as the API and `commsgw decisions --json` write it: the stored fields, then the content hash and the provider call.</summary>
public sealed class DecisionEntryShapeTests
{
    [Fact]
    public void Should_write_the_decisions_fields_then_its_content_hash_in_hex_then_the_provider_call()
    {
        var entry = new DecisionEntry
        {
            Seq = 7, TenantId = "t", IntentId = "i", Channel = "sms", Outcome = "Sent", Reasons = ["ServiceMessage"],
            ContentSha256 = "ab01", DispatchStatus = "sent", Provider = "twilio",
        };

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(entry, new JsonSerializerOptions(JsonSerializerDefaults.Web)));

        Assert.Equal(
        [
            "seq", "decisionId", "tenantId", "intentId", "patientId", "producer", "channel", "category", "campaignId",
            "declaredPurpose", "detectedPurpose", "outcome", "reasons", "details", "consentEventId", "policyVersion",
            "deferredUntil", "decidedAt", "contentSha256", "dispatchStatus", "dispatchErrorCode", "providerErrorCode",
            "provider", "providerMessageId",
        ], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("ab01", json.RootElement.GetProperty("contentSha256").GetString());
        Assert.Equal("ServiceMessage", json.RootElement.GetProperty("reasons")[0].GetString());
    }
}

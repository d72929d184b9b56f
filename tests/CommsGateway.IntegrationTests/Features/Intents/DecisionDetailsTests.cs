using CommsGateway.Contracts;
using CommsGateway.IntegrationTests.Infrastructure;

namespace CommsGateway.IntegrationTests.Features.Intents;

/// <summary>What a decision row's details say, through the whole pipeline: each classifier signal once, and the term behind a health flag.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DecisionDetailsTests(GatewayFixture gateway)
{
    private static MessageIntent Sms(string body, Purpose declared) => new()
    {
        IntentId = $"details-{Guid.NewGuid():N}", TenantId = $"t-details-{Guid.NewGuid():N}"[..20], Producer = "booking", PatientId = "p-1",
        Channel = Channel.Sms, DeclaredPurpose = declared, Category = "appointment_reminder", Body = body, To = "+33612345678",
    };

    [Fact]
    public async Task Should_list_each_classifier_signal_once_in_the_decision_details()
    {
        var promo = Sms("PROMO : -20 % sur tous les soins ce week-end seulement, réservez vite !", Purpose.Marketing);
        await gateway.SeedRecipientAsync(promo);

        await gateway.PublishAsync(promo);
        var row = Assert.Single(await gateway.WaitForDecisionsAsync(promo.TenantId, promo.IntentId));

        Assert.Equal("Blocked", row.Outcome); // no marketing consent
        Assert.Contains(row.Details, d => d.StartsWith("signal: ", StringComparison.Ordinal));
        Assert.Equal(row.Details.Distinct(StringComparer.Ordinal), row.Details);
    }

    [Fact]
    public async Task Should_name_the_health_term_behind_the_flag_and_no_other_patient_text()
    {
        var reminder = Sms("Rappel : votre bilan pour votre diabète chez le Dr Martin demain à 10h30.", Purpose.Service);
        await gateway.SeedRecipientAsync(reminder);

        await gateway.PublishAsync(reminder);
        var row = Assert.Single(await gateway.WaitForDecisionsAsync(reminder.TenantId, reminder.IntentId));

        Assert.Contains(ReasonCodes.HealthDetailsFlagged, row.Reasons);
        var flag = Assert.Single(row.Details, d => d.StartsWith(ReasonCodes.HealthDetailsFlagged + ": ", StringComparison.Ordinal));
        Assert.Equal("HealthDetailsFlagged: health-condition@body: \"diabete\"", flag);
        Assert.DoesNotContain(row.Details, d => d.Contains("Martin", StringComparison.Ordinal) || d.Contains("bilan", StringComparison.Ordinal));
        Assert.Equal(row.Details.Distinct(StringComparer.Ordinal), row.Details);
    }
}

using System.Text.RegularExpressions;
using CommsGateway.Core.Rendering;
using CommsGateway.Features.Campaigns;
using CommsGateway.IntegrationTests.Features.Patients;
using CommsGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CommsGateway.IntegrationTests.Features.Campaigns;

/// <summary>
/// A campaign queued to the running gateway reaches the fake SendGrid through the bulk path: every recipient's email,
/// as SendGrid would build it from the shared request, is their own (name, signed link, RFC 8058 headers).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class CampaignBulkEmailTests(GatewayFixture gateway, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_give_each_recipient_their_own_body_link_and_one_click_headers()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var names = new Dictionary<string, string>();
        for (var i = 0; i < 24; i++)
        {
            var patient = Clinic.NewPatient();
            var (address, _, _) = PatientDataTests.NewAddresses();
            names[patient] = i % 2 == 0 ? $"Léa-{i}" : $"Ó'Brien {i}";
            (await clinic.PutContactAsync(patient, new { firstName = names[patient], email = address, locale = "fr" })).EnsureSuccessStatusCode();
            (await clinic.GrantAsync(patient, "email")).EnsureSuccessStatusCode();
        }

        var campaigns = gateway.Services.GetRequiredService<CampaignService>();
        var id = await campaigns.CreateAsync(clinic.TenantId, new CampaignDefinition
        {
            Name = "Peelings",
            Templates = new() { ["fr"] = "Bonjour {{ patient.first_name }},\n{{ clinic.name }} : -20 % sur les peelings ce mois-ci, réservez !" },
            Subjects = new() { ["fr"] = "{{ patient.first_name }}, -20 % ce mois-ci" },
            Channels = ["email"],
            PatientIds = [.. names.Keys],
        }, new("test"), default);
        Assert.True((await campaigns.QueueAsync(clinic.TenantId, id, null, default)).Ok);

        var accepted = await Poll.UntilAsync(
            () => Task.FromResult(gateway.Fake.Accepted.Where(m => m.IntentId?.StartsWith($"cmp:{id}:", StringComparison.Ordinal) == true).ToList()),
            list => list.Count >= names.Count, TimeSpan.FromSeconds(60));

        Assert.Equal(names.Count, accepted.Count);
        Assert.Equal(names.Count, accepted.Select(m => m.IntentId).Distinct().Count());
        foreach (var message in accepted)
        {
            var name = names[message.IntentId!.Split(':')[2]];
            Assert.Equal($"{name}, -20 % ce mois-ci", message.Subject);
            Assert.StartsWith($"Bonjour {name},\n", message.Text, StringComparison.Ordinal);
            Assert.Contains(" : -20 % sur les peelings ce mois-ci, réservez !", message.Text, StringComparison.Ordinal);
            var link = Assert.Single(LinkPattern().Matches(message.Text!)).Value;
            Assert.Equal($"<{link}>", message.Headers[MessageRenderer.ListUnsubscribe]);
            Assert.Equal(MessageRenderer.OneClick, message.Headers[MessageRenderer.ListUnsubscribePost]);
            Assert.DoesNotContain("[%cgw-", message.Text, StringComparison.Ordinal);
        }

        Assert.Equal(names.Count, accepted.Select(m => m.Headers[MessageRenderer.ListUnsubscribe]).Distinct().Count()); // one link each
        // How many requests carried them depends on how the consumers' timing grouped them: printed, not asserted.
        output.WriteLine($"{accepted.Count} emails in {accepted.Select(m => m.ProviderMessageId).Distinct().Count()} SendGrid request(s)");
    }

    [GeneratedRegex(@"https?://\S+/u/\S+")]
    private static partial Regex LinkPattern();
}

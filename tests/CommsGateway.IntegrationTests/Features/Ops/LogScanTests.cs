using CommsGateway.Contracts;
using CommsGateway.Core.Privacy;
using Dapper;

namespace CommsGateway.IntegrationTests.Features.Ops;

/// <summary>
/// A full run through the real servers with patients' addresses and numbers in every place a producer can put
/// them (explicit To, body text, a broken message), then every log entry of the gateway (Trace level, every
/// category, scopes and exceptions included) is scanned for them.
/// </summary>
[Collection(OpsCollection.Name)]
public sealed class LogScanTests(OpsFixture ops)
{
    private const string Email = "amelie.durand@example.fr";
    private const string OtherEmail = "Tom.Hughes+clinic@mail.example.co.uk";
    private const string Phone = "+33612345678";
    private const string NationalPhone = "06 12 34 56 78";
    private const string UkPhone = "+447700900123";

    [Fact]
    public async Task Should_find_no_email_address_or_phone_number_in_the_logs_of_a_full_run()
    {
        var tenant = "t-logscan-" + Guid.NewGuid().ToString("N")[..8];
        var run = Guid.NewGuid().ToString("N")[..8];
        MessageIntent Intent(string id, Channel channel, Purpose purpose, string body, string? to) => new()
        {
            IntentId = $"{id}-{run}", TenantId = tenant, Producer = "booking", PatientId = "p-" + id, Channel = channel,
            DeclaredPurpose = purpose, Category = purpose == Purpose.Marketing ? "campaign" : "appointment_reminder",
            CampaignId = purpose == Purpose.Marketing ? "spring" : null, Body = body, To = to, Subject = "Hello",
        };

        await ops.PublishAsync(Intent("sms", Channel.Sms, Purpose.Service, $"Reminder: call {NationalPhone} to move your 10:30 slot.", Phone));
        await ops.PublishAsync(Intent("email", Channel.Email, Purpose.Marketing, $"20% off peels! Reply to {OtherEmail}", Email));
        await ops.PublishAsync(Intent("wa", Channel.WhatsApp, Purpose.Service, "Your results are available.", UkPhone));
        await ops.PublishAsync(Intent("invalid", Channel.Unknown, Purpose.Service, $"write to {Email}", Email));
        await ops.PublishAsync(Intent("huge", Channel.Sms, Purpose.Service, new string('x', 5_000) + Phone, Phone));
        // Valid JSON with a field of the wrong type: the consume faults and the sweeper handles it from the error queue
        // (its decision may come after replays, so only its log lines are asserted on).
        await ops.PublishRawAsync($$"""{"intentId":"badtype-{{run}}","tenantId":"{{tenant}}","patientId":"p-9","channel":"sms","body":"call {{Phone}}","to":"{{Phone}}","expiresAt":"{{Email}}"}""");
        // Not JSON at all, with an address inside.
        var brokenId = "broken-" + run;
        await ops.PublishRawAsync($$"""{"intentId":"x","to":"{{Email}}", "body": "unterminated {{UkPhone}}""", brokenId);

        var outcomes = await ops.WaitForTenantDecisionsAsync(tenant, 5, TimeSpan.FromSeconds(60));
        Assert.True(outcomes.Count >= 5, string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
        Assert.Equal("Rejected", outcomes[$"invalid-{run}"]);
        Assert.Equal("Rejected", outcomes[$"huge-{run}"]);
        await using (var connection = await ops.Db.OpenConnectionAsync())
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (await connection.ExecuteScalarAsync<int>("select count(*) from decisions where intent_id = @id", new { id = "rejected:" + brokenId }) == 0
                   && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from decisions where intent_id = @id", new { id = "rejected:" + brokenId }));
        }

        await Task.Delay(500); // late log lines (publish of MessageDecided, acks)
        var entries = ops.Logs.Entries.ToArray();
        Assert.Contains(entries, e => e.Contains($"sms-{run}", StringComparison.Ordinal)); // the run was logged at all
        var forms = new[] { Email, OtherEmail, Phone, NationalPhone, UkPhone, "612345678", "7700900123", "amelie.durand", "Tom.Hughes" };
        var leaks = entries.Where(e => forms.Any(f => e.Contains(f, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(leaks.Count == 0, "Contact data in logs:\n" + string.Join("\n", leaks.Take(5)));
        Assert.DoesNotContain(entries, PersonalDataMask.ContainsPersonalData);
    }
}

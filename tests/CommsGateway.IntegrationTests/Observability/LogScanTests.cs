using CommsGateway.Contracts;
using CommsGateway.Core.Privacy;
using CommsGateway.Core.Webhooks;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;

namespace CommsGateway.IntegrationTests.Observability;

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

    /// <summary>
    /// The paths that handle contact data for real: sends to the (fake) providers, a signed SendGrid event, a signed
    /// Twilio status callback, a STOP reply, a one-click unsubscribe. Their log lines must carry none of it.
    /// </summary>
    [Fact]
    public async Task Should_find_no_contact_data_in_the_logs_of_a_run_that_sends_delivers_and_unsubscribes()
    {
        var tenant = "t-logsend-" + Guid.NewGuid().ToString("N")[..8];
        var (patient, email, phone, whatsapp) = ("p-send-1", "claire.morel@example.fr", "+33698765432", "+447700900456");
        await using (var connection = await ops.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("insert into tenants (tenant_id, name) values (@tenant, 'Clinique Scan')", new { tenant });
            await TestSenders.StoreAsync(connection, tenant);
            await connection.ExecuteAsync("""
                insert into contacts (tenant_id, patient_id, email, phone_e164, whatsapp_e164, locale, time_zone, updated_by)
                values (@tenant, @patient, @email, @phone, @whatsapp, 'fr', 'Europe/Paris', 'tests')
                """, new { tenant, patient, email, phone, whatsapp });
            await TestConsents.AppendAsync(ops.Db, [TestConsents.MarketingGrant(tenant, patient, "email"), TestConsents.MarketingGrant(tenant, patient, "sms")]);
            // The patient wrote on WhatsApp a moment ago: the 24-hour window is open for the free-form reminder.
            await connection.ExecuteAsync("insert into whatsapp_sessions (tenant_id, patient_id, last_inbound_at) values (@tenant, @patient, now())",
                new { tenant, patient });
        }

        var run = Guid.NewGuid().ToString("N")[..8];
        MessageIntent Intent(string id, Channel channel, Purpose purpose, string body) => new()
        {
            IntentId = $"{id}-{run}", TenantId = tenant, Producer = "booking", PatientId = patient, Channel = channel, DeclaredPurpose = purpose,
            Category = purpose == Purpose.Marketing ? "campaign" : "appointment_reminder", CampaignId = purpose == Purpose.Marketing ? "spring" : null,
            Subject = channel == Channel.Email ? "Offre" : null, Locale = "fr", Body = body,
            Blocks = purpose == Purpose.Marketing ? [new ContentBlock { Kind = Purpose.Marketing, Text = body }] : [],
        };
        await ops.PublishAsync(Intent("mail", Channel.Email, Purpose.Marketing, "20% off all peels this month: book now!"));
        await ops.PublishAsync(Intent("sms", Channel.Sms, Purpose.Service, "Reminder: your appointment is tomorrow at 10:30."));
        await ops.PublishAsync(Intent("wa", Channel.WhatsApp, Purpose.Service, "Your results are available."));
        var outcomes = await ops.WaitForTenantDecisionsAsync(tenant, 3, TimeSpan.FromSeconds(60));
        Assert.True(outcomes.Values.All(o => o == "Sent"), string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
        var deadline = DateTime.UtcNow.AddSeconds(30); // the decision commits before the provider call
        while (ops.Fake.Accepted.Count(m => m.IntentId?.EndsWith(run, StringComparison.Ordinal) == true) < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var mail = Assert.Single(ops.Fake.Accepted, m => m.IntentId == $"mail-{run}");
        var sms = Assert.Single(ops.Fake.Accepted, m => m.IntentId == $"sms-{run}");
        Assert.Equal(email, mail.To);

        using var client = ops.Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var events = System.Text.Json.JsonSerializer.Serialize(new[]
        {
            new Dictionary<string, object?>
            {
                ["email"] = email, ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["event"] = "delivered",
                ["sg_event_id"] = Guid.NewGuid().ToString("N"), ["sg_message_id"] = mail.ProviderMessageId + ".filter-1",
                ["intent_id"] = mail.IntentId, ["decision_id"] = mail.DecisionId,
            },
        });
        using (var request = ops.Fake.EventSigner.Request("/webhooks/sendgrid/events", events, DateTimeOffset.UtcNow))
        {
            Assert.True((await client.SendAsync(request)).IsSuccessStatusCode);
        }

        var callback = new Uri(sms.StatusCallback!);
        var status = new Dictionary<string, string>
        {
            ["MessageSid"] = sms.ProviderMessageId, ["MessageStatus"] = "delivered", ["AccountSid"] = ops.Fake.Options.TwilioAccountSid,
            ["To"] = phone, ["From"] = FakeProviderSettings.ShortCode,
        };
        await PostSignedAsync(client, callback.PathAndQuery, callback.AbsoluteUri, status);
        var stop = new Dictionary<string, string>
        {
            ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N"), ["AccountSid"] = ops.Fake.Options.TwilioAccountSid,
            ["From"] = phone, ["To"] = FakeProviderSettings.ShortCode, ["Body"] = "STOP", ["NumMedia"] = "0",
        };
        await PostSignedAsync(client, "/webhooks/twilio/inbound", "http://127.0.0.1:5080/webhooks/twilio/inbound", stop);
        var oneClick = new Uri(mail.Headers["List-Unsubscribe"].Split(',')[0].Trim().Trim('<', '>'));
        using (var unsubscribe = await client.PostAsync(oneClick.PathAndQuery,
                   new StringContent("List-Unsubscribe=One-Click", System.Text.Encoding.ASCII, "application/x-www-form-urlencoded")))
        {
            Assert.True(unsubscribe.IsSuccessStatusCode, unsubscribe.StatusCode.ToString());
        }

        await using (var connection = await ops.Db.OpenConnectionAsync())
        {
            // The webhooks and the unsubscribe did their work (so their code paths logged what they log).
            Assert.Equal(2, await connection.ExecuteScalarAsync<int>(
                "select count(*) from consent_events where tenant_id = @tenant and action = 'withdraw'", new { tenant }));
            Assert.Equal(2, await connection.ExecuteScalarAsync<int>(
                "select count(*) from deliveries x join decisions d using (decision_id) where d.tenant_id = @tenant", new { tenant }));
        }

        await Task.Delay(500); // late log lines (publish of MessageDecided, acks)
        var entries = ops.Logs.Entries.ToArray();
        Assert.Contains(entries, e => e.Contains($"mail-{run}", StringComparison.Ordinal));
        var forms = new[] { email, phone, whatsapp, "claire.morel", "698765432", "7700900456" };
        var leaks = entries.Where(e => forms.Any(f => e.Contains(f, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(leaks.Count == 0, "Contact data in logs:\n" + string.Join("\n", leaks.Take(5)));
    }

    private async Task PostSignedAsync(HttpClient client, string path, string publicUrl, Dictionary<string, string> form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(ops.Fake.Options.TwilioAuthToken, publicUrl, form));
        using var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
    }
}

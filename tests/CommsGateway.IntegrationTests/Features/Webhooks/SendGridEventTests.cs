using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Privacy;
using CommsGateway.FakeProviders;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Webhooks;

/// <summary>SendGrid's signed Event Webhook, posted as SendGrid does (the fake holds the signing key, the gateway its public half).</summary>
[Collection(GatewayCollection.Name)]
public sealed class SendGridEventTests(GatewayFixture gateway)
{
    private const string Path = "/webhooks/sendgrid/events";

    private sealed record Result(int Received, int Applied, int Duplicates, int Ignored);

    private sealed record Sent(string Tenant, string Patient, string Email, AcceptedMessage Accepted);

    private async Task<Sent> SendEmailAsync(bool marketing = true)
    {
        var (tenant, patient, email) = (Seed.NewTenant(), Seed.NewPatient(), Seed.NewEmail());
        await Seed.PatientAsync(gateway, tenant, patient, email, Seed.NewMobile(), Channel.Email);
        var intent = marketing ? Seed.Marketing(tenant, patient, Channel.Email) : Seed.Service(tenant, patient, Channel.Email);
        await gateway.PublishAsync(intent);
        Assert.Equal(DecisionOutcome.Sent, Assert.Single(await gateway.WaitForDecidedAsync(intent.IntentId)).Outcome);
        return new Sent(tenant, patient, email, Assert.Single(gateway.Fake.Accepted, m => m.IntentId == intent.IntentId));
    }

    /// <summary>An event as SendGrid shapes it: custom_args (intent_id, decision_id) come back at the top level.</summary>
    private static Dictionary<string, object?> Event(Sent sent, string name, string? type = null) => new()
    {
        ["email"] = sent.Email,
        ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["event"] = name,
        ["sg_event_id"] = Guid.NewGuid().ToString("N"),
        ["sg_message_id"] = sent.Accepted.ProviderMessageId + ".filterdrecv-5645d9c87f-2xzq7-1-5F1F1C5D-A.0",
        ["intent_id"] = sent.Accepted.IntentId,
        ["decision_id"] = sent.Accepted.DecisionId,
        ["type"] = type,
        ["reason"] = type is null ? null : "550 5.1.1 The email account that you tried to reach does not exist",
    };

    private async Task<HttpResponseMessage> PostAsync(string json, SendGridEventSigner? signer = null)
    {
        using var client = gateway.Factory.CreateClient();
        using var request = (signer ?? gateway.Fake.EventSigner).Request(Path, json, DateTimeOffset.UtcNow);
        return await client.SendAsync(request);
    }

    private async Task<T> ScalarAsync<T>(string sql, object args)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, args))!;
    }

    private Task<string[]> DeliveriesAsync(Sent sent) =>
        ScalarAsync<string[]>("select coalesce(array_agg(status order by id), '{}') from deliveries where decision_id = @id::uuid", new { id = sent.Accepted.DecisionId });

    /// <summary>The suppressions of the address, found by its keyed hash (an unkeyed SHA-256 of it is never stored).</summary>
    private Task<string[]> SuppressionsAsync(Sent sent) =>
        ScalarAsync<string[]>("""
            select coalesce(array_agg(reason order by reason), '{}') from suppressions
            where tenant_id = @Tenant and channel = 'email'
              and address_hash = @hash and address_hash <> sha256(convert_to(@Email, 'UTF8'))
            """, new { sent.Tenant, sent.Email, hash = gateway.Factory.Services.GetRequiredService<AddressHasher>().Hash(sent.Email) });

    [Fact]
    public async Task Should_refuse_unsigned_or_wrongly_signed_deliveries_and_change_nothing()
    {
        var sent = await SendEmailAsync();
        var json = JsonSerializer.Serialize(new[] { Event(sent, "unsubscribe"), Event(sent, "delivered") });
        using var otherKey = new SendGridEventSigner();
        using var client = gateway.Factory.CreateClient();

        using var forged = await PostAsync(json, otherKey);
        using var unsigned = await client.PostAsync(Path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        using var signedOtherBody = gateway.Fake.EventSigner.Request(Path, json, DateTimeOffset.UtcNow);
        signedOtherBody.Content = new StringContent(json.Replace("delivered", "spamreport", StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json");
        using var tampered = await client.SendAsync(signedOtherBody);

        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
        Assert.Equal("grant", Assert.Single(await Seed.LedgerAsync(gateway, sent.Tenant, sent.Patient)).Action);
        Assert.Empty(await DeliveriesAsync(sent));
        Assert.Equal(0, await ScalarAsync<long>("select count(*) from sendgrid_events where decision_id = @id::uuid", new { id = sent.Accepted.DecisionId }));
    }

    /// <summary>
    /// Counts commsgw.webhook.refused measurements with this reason recorded by THIS gateway's meter (its IMeterFactory:
    /// other hosts in the test process have meters of the same name).
    /// </summary>
    private sealed class RefusedCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private long _count;

        public RefusedCounter(IServiceProvider services, string reason)
        {
            var factory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name == "commsgw.webhook.refused")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason" && Equals(tag.Value, reason))
                    {
                        Interlocked.Add(ref _count, value);
                    }
                }
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }

    // Correctly signed, but signed long ago (a captured delivery replayed) or far in the future: refused and counted.
    [Theory]
    [InlineData("2010-06-01T12:00:00Z")]
    [InlineData("past-11-minutes")]
    [InlineData("future-11-minutes")]
    public async Task Should_refuse_a_signed_delivery_outside_the_replay_window(string when)
    {
        var sent = await SendEmailAsync();
        var json = JsonSerializer.Serialize(new[] { Event(sent, "unsubscribe"), Event(sent, "spamreport") });
        var signedAt = when switch
        {
            "past-11-minutes" => DateTimeOffset.UtcNow.AddMinutes(-11),
            "future-11-minutes" => DateTimeOffset.UtcNow.AddMinutes(11),
            _ => DateTimeOffset.Parse(when, System.Globalization.CultureInfo.InvariantCulture),
        };
        using var refused = new RefusedCounter(gateway.Services, "outside_replay_window");
        using var client = gateway.Factory.CreateClient();
        using var request = gateway.Fake.EventSigner.Request(Path, json, signedAt);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("urn:commsgw:problem:webhook-replay", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal("grant", Assert.Single(await Seed.LedgerAsync(gateway, sent.Tenant, sent.Patient)).Action);
        Assert.Empty(await SuppressionsAsync(sent));
        Assert.Equal(0, await ScalarAsync<long>("select count(*) from sendgrid_events where decision_id = @id::uuid", new { id = sent.Accepted.DecisionId }));
        Assert.Equal(1, refused.Count); // counted once, by reason (commsgw_webhook_refused_total at /metrics)
    }

    [Fact]
    public async Task Should_apply_a_delivery_signed_within_the_window()
    {
        var sent = await SendEmailAsync();
        using var client = gateway.Factory.CreateClient();
        using var request = gateway.Fake.EventSigner.Request(Path, JsonSerializer.Serialize(new[] { Event(sent, "delivered") }), DateTimeOffset.UtcNow.AddMinutes(-9));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["delivered"], await DeliveriesAsync(sent));
    }

    [Fact]
    public async Task Should_record_delivery_and_withdraw_on_unsubscribe_once_per_sg_event_id()
    {
        var sent = await SendEmailAsync();
        var json = JsonSerializer.Serialize(new[] { Event(sent, "processed"), Event(sent, "delivered"), Event(sent, "group_unsubscribe") });

        using var first = await PostAsync(json);
        using var replay = await PostAsync(json); // SendGrid retries a delivery it thinks failed

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(new Result(3, 3, 0, 0), await first.Content.ReadFromJsonAsync<Result>());
        Assert.Equal(new Result(3, 0, 3, 0), await replay.Content.ReadFromJsonAsync<Result>());
        Assert.Equal(["delivered"], await DeliveriesAsync(sent));
        Assert.Equal("delivered", await ScalarAsync<string>("select delivery_status from dispatches where decision_id = @id::uuid", new { id = sent.Accepted.DecisionId }));
        var ledger = await Seed.LedgerAsync(gateway, sent.Tenant, sent.Patient);
        Assert.Equal(["grant", "withdraw"], ledger.Select(e => e.Action));
        Assert.Equal(("email", "provider_unsubscribe"), (ledger[1].Channel, ledger[1].Source));
        Assert.Contains("group_unsubscribe", ledger[1].Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain(sent.Email, ledger[1].Evidence, StringComparison.Ordinal);
        Assert.Empty(await SuppressionsAsync(sent)); // an unsubscribe is about marketing, not the address

        var next = await Seed.DecideAsync(gateway, Seed.Marketing(sent.Tenant, sent.Patient, Channel.Email));
        Assert.Contains(ReasonCodes.NoMarketingConsent, next.Reasons);
    }

    [Fact]
    public async Task Should_withdraw_and_suppress_on_a_spam_complaint()
    {
        var sent = await SendEmailAsync();

        using var response = await PostAsync(JsonSerializer.Serialize(new[] { Event(sent, "spamreport") }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ledger = await Seed.LedgerAsync(gateway, sent.Tenant, sent.Patient);
        Assert.Equal(("withdraw", "spam_complaint"), (ledger[^1].Action, ledger[^1].Source));
        Assert.Equal(["spam_complaint"], await SuppressionsAsync(sent));
        var reminder = await Seed.DecideAsync(gateway, Seed.Service(sent.Tenant, sent.Patient, Channel.Email));
        Assert.Equal("Blocked", reminder.Outcome);
        Assert.Contains(ReasonCodes.Suppressed, reminder.Reasons);
    }

    [Fact]
    public async Task Should_suppress_a_hard_bounce_but_not_a_soft_block()
    {
        var hard = await SendEmailAsync(marketing: false);
        var soft = await SendEmailAsync(marketing: false);

        using var response = await PostAsync(JsonSerializer.Serialize(new[] { Event(hard, "bounce", "bounce"), Event(soft, "bounce", "blocked"), Event(soft, "deferred") }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["hard_bounce"], await SuppressionsAsync(hard));
        Assert.Empty(await SuppressionsAsync(soft));
        Assert.Equal(["bounce"], await DeliveriesAsync(hard));
        Assert.Equal(["bounce", "deferred"], await DeliveriesAsync(soft));
        Assert.Equal("bounce", await ScalarAsync<string>("select error_code from deliveries where decision_id = @id::uuid", new { id = hard.Accepted.DecisionId }));
        // Consent is the patient's business; a bounce is the address's.
        Assert.Single(await Seed.LedgerAsync(gateway, hard.Tenant, hard.Patient));

        // The keyed row blocks the next message to that address.
        var next = await Seed.DecideAsync(gateway, Seed.Service(hard.Tenant, hard.Patient, Channel.Email));
        Assert.Equal("Blocked", next.Outcome);
        Assert.Contains(ReasonCodes.Suppressed, next.Reasons);
    }

    [Fact]
    public async Task Should_answer_400_to_a_signed_body_that_is_not_an_event_array()
    {
        using var response = await PostAsync("""{"event":"delivered"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Should_record_a_dropped_message_on_its_delivery_record_without_touching_consent()
    {
        var sent = await SendEmailAsync(marketing: false);
        var dropped = Event(sent, "dropped");
        dropped["reason"] = "Bounced Address";

        using var response = await PostAsync(JsonSerializer.Serialize(new[] { Event(sent, "processed"), dropped }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Result(2, 2, 0, 0), await response.Content.ReadFromJsonAsync<Result>());
        Assert.Equal(["dropped"], await DeliveriesAsync(sent));
        Assert.Equal("dropped", await ScalarAsync<string>("select delivery_status from dispatches where decision_id = @id::uuid", new { id = sent.Accepted.DecisionId }));
        Assert.Equal("Bounced Address", await ScalarAsync<string>("select detail from deliveries where decision_id = @id::uuid", new { id = sent.Accepted.DecisionId }));
        Assert.Equal(["grant"], (await Seed.LedgerAsync(gateway, sent.Tenant, sent.Patient)).Select(e => e.Action));
    }

    [Fact]
    public async Task Should_withdraw_email_marketing_only_on_a_plain_unsubscribe()
    {
        var sent = await SendEmailAsync();

        using var response = await PostAsync(JsonSerializer.Serialize(new[] { Event(sent, "unsubscribe") }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Result(1, 1, 0, 0), await response.Content.ReadFromJsonAsync<Result>());
        var ledger = await Seed.LedgerAsync(gateway, sent.Tenant, sent.Patient);
        Assert.Equal(["grant", "withdraw"], ledger.Select(e => e.Action));
        Assert.Equal(("email", "provider_unsubscribe"), (ledger[1].Channel, ledger[1].Source));
        Assert.Contains("\"event\": \"unsubscribe\"", ledger[1].Evidence, StringComparison.Ordinal);
        Assert.Empty(await SuppressionsAsync(sent)); // marketing is withdrawn; the address still gets reminders
        Assert.Empty(await DeliveriesAsync(sent));

        var next = await Seed.DecideAsync(gateway, Seed.Marketing(sent.Tenant, sent.Patient, Channel.Email));
        Assert.Equal("Blocked", next.Outcome);
        Assert.Contains(ReasonCodes.NoMarketingConsent, next.Reasons);
        var reminder = await Seed.DecideAsync(gateway, Seed.Service(sent.Tenant, sent.Patient, Channel.Email));
        Assert.Equal("Sent", reminder.Outcome);
    }
}

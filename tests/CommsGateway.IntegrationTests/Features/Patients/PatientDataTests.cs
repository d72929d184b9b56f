using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Privacy;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Consent;
using CommsGateway.Features.Privacy;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.IntegrationTests.Infrastructure;
using CommsGateway.Providers;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CommsGateway.IntegrationTests.Features.Patients;

[Collection(GatewayCollection.Name)]
public sealed class PatientDataTests(GatewayFixture gateway)
{
    internal static (string Email, string NationalPhone, string E164) NewAddresses()
    {
        // 06 12 xx xx xx: an allocated French mobile range (libphonenumber refuses unallocated ones such as 06 9x).
        var digits = "12" + Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);
        return ($"{Guid.NewGuid():N}@example.fr", "06 " + digits, "+336" + digits);
    }

    private async Task<string> MarketingDecisionAsync(Clinic clinic, string patient)
    {
        var intentId = $"mkt-{Guid.NewGuid():N}";
        await gateway.PublishAsync(new MessageIntent
        {
            IntentId = intentId, TenantId = clinic.TenantId, Producer = "campaigns", PatientId = patient, Channel = Channel.Email,
            DeclaredPurpose = Purpose.Marketing, Category = "campaign", Subject = "Spring offer",
            Body = "20% off all peels this month: book now!",
        });
        Assert.Single(await gateway.WaitForDecisionsAsync(clinic.TenantId, intentId));
        return intentId;
    }

    [Fact]
    public async Task Should_export_exactly_the_patients_data_and_nothing_of_another_patient()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var (alice, bob) = (Clinic.NewPatient(), Clinic.NewPatient());
        var (aliceEmail, alicePhone, aliceE164) = NewAddresses();
        var (bobEmail, _, bobE164) = NewAddresses();
        (await clinic.PutContactAsync(alice, new { firstName = "Alice", email = aliceEmail, phone = alicePhone })).EnsureSuccessStatusCode();
        (await clinic.PutContactAsync(bob, new { firstName = "Bob", email = bobEmail, phone = bobE164 })).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(alice, "email")).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(bob, "sms")).EnsureSuccessStatusCode();
        var aliceIntent = await MarketingDecisionAsync(clinic, alice);
        var bobIntent = await MarketingDecisionAsync(clinic, bob);

        var response = await clinic.Http.GetAsync($"/api/patients/{alice}/export");
        var text = await response.Content.ReadAsStringAsync();
        var export = JsonDocument.Parse(text).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(alice, export.GetProperty("patientId").GetString());
        Assert.Equal(aliceEmail, export.GetProperty("contact").GetProperty("email").GetString());
        Assert.Equal(aliceE164, export.GetProperty("contact").GetProperty("phone").GetString());
        var history = Assert.Single(export.GetProperty("consentHistory").EnumerateArray());
        Assert.Equal("email", history.GetProperty("channel").GetString());
        Assert.Equal("mkt-v3", history.GetProperty("wordingVersion").GetString());
        Assert.Equal(aliceIntent, Assert.Single(export.GetProperty("decisions").EnumerateArray()).GetProperty("intentId").GetString());
        foreach (var other in new[] { bob, bobEmail, bobE164, bobIntent, "Bob" })
        {
            Assert.DoesNotContain(other, text, StringComparison.Ordinal);
        }
    }

    /// <summary>The decision once published: by then its dispatch row is settled.</summary>
    private async Task<Guid> DecisionIdAsync(string intentId) => Assert.Single(await gateway.WaitForDecidedAsync(intentId)).DecisionId;

    [Fact]
    public async Task Should_erase_every_address_and_keep_a_hashed_suppression_that_flags_the_address_again()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        var (email, nationalPhone, e164) = NewAddresses();
        var ip = $"2001:db8:{Random.Shared.Next(0x1000, 0xffff):x}:{Random.Shared.Next(0x1000, 0xffff):x}::7";
        var userAgent = $"Mozilla/5.0 (erasure-{Guid.NewGuid():N})";
        (await clinic.PutContactAsync(patient, new { firstName = "Zoé", lastName = "Erasable", email, phone = nationalPhone, whatsApp = e164 })).EnsureSuccessStatusCode();
        foreach (var channel in new[] { "email", "sms" })
        {
            (await clinic.Http.PostAsJsonAsync($"/api/patients/{patient}/consents", new
            {
                purpose = "marketing", channel, evidence = new
                {
                    source = "web_form", wordingVersion = "mkt-v3", wordingSha256 = Clinic.WordingSha256, capturedBy = "booking-portal",
                    formUrl = "https://clinic.example/consent", ip, userAgent, preTicked = false,
                },
            })).EnsureSuccessStatusCode();
        }

        var emailDecision = await DecisionIdAsync(await MarketingDecisionAsync(clinic, patient));

        // An SMS the provider later refused with a text quoting the number (a row written before texts were masked).
        var smsIntent = $"svc-{Guid.NewGuid():N}";
        await gateway.PublishAsync(new MessageIntent
        {
            IntentId = smsIntent, TenantId = clinic.TenantId, Producer = "booking", PatientId = patient, Channel = Channel.Sms,
            DeclaredPurpose = Purpose.Service, Category = "appointment_reminder", Body = "Reminder: your appointment is tomorrow at 10:30.",
        });
        var smsDecision = await DecisionIdAsync(smsIntent);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var legacyDetail = $"400 twilio 21211: The 'To' number {e164} is not a valid phone number.";
        Assert.Equal(1, await connection.ExecuteAsync(
            "update dispatches set error_detail = @legacyDetail where decision_id = @smsDecision", new { legacyDetail, smsDecision }));

        // A marketing email deferred until tomorrow: the stored intent holds the explicit address.
        var deferredIntent = $"later-{Guid.NewGuid():N}";
        await gateway.PublishAsync(new MessageIntent
        {
            IntentId = deferredIntent, TenantId = clinic.TenantId, Producer = "campaigns", PatientId = patient, Channel = Channel.Email,
            DeclaredPurpose = Purpose.Marketing, Category = "campaign", Subject = "Spring offer", Body = "20% off all peels this month: book now!",
            To = email, NotBefore = DateTimeOffset.UtcNow.AddDays(1),
        });
        Assert.Equal("Deferred", Assert.Single(await gateway.WaitForDecisionsAsync(clinic.TenantId, deferredIntent)).Outcome);
        // Parked right after its Deferred decision commits: wait for the row rather than race the pipeline.
        var parked = await Poll.UntilAsync(() => connection.ExecuteScalarAsync<long>(
            "select count(*) from deferred_intents where tenant_id = @t and intent::text like '%' || @email || '%'", new { t = clinic.TenantId, email }),
            count => count > 0, TimeSpan.FromSeconds(10));
        Assert.Equal(1, parked);

        // A hard bounce whose SMTP reply quotes the address: stored masked.
        var accepted = Assert.Single(gateway.Fake.Accepted, m => m.DecisionId == emailDecision.ToString());
        var bounce = JsonSerializer.Serialize(new[]
        {
            new Dictionary<string, object?>
            {
                ["email"] = email, ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["event"] = "bounce", ["type"] = "bounce",
                ["sg_event_id"] = Guid.NewGuid().ToString("N"), ["sg_message_id"] = accepted.ProviderMessageId + ".filter0001-1",
                ["decision_id"] = accepted.DecisionId, ["reason"] = $"550 5.1.1 <{email}>: Recipient address rejected",
            },
        });
        using (var client = gateway.Factory.CreateClient())
        using (var request = gateway.Fake.EventSigner.Request("/webhooks/sendgrid/events", bounce, DateTimeOffset.UtcNow))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
        }

        Assert.Equal("550 5.1.1 <[email]>: Recipient address rejected", await connection.ExecuteScalarAsync<string>(
            "select detail from deliveries where decision_id = @emailDecision", new { emailDecision }));

        // Twilio 21610 (the patient replied STOP to the carrier), as the Twilio dispatcher records it.
        await gateway.Services.GetRequiredService<IProviderOptOutSink>().RecordAsync(
            new ProviderOptOut(clinic.TenantId, Channel.Sms, e164, "twilio", "21610", smsDecision), CancellationToken.None);

        // An unsubscribe request through the patient's link, with its IP and user agent.
        await gateway.Services.GetRequiredService<UnsubscribeLinks>().IssueAsync(clinic.TenantId, patient, Channel.WhatsApp,
            UnsubscribeScope.Channel, UnsubscribeLocale.Fr, "spring-peel", CancellationToken.None);
        var subscriberRef = await connection.ExecuteScalarAsync<string>(
            "select subscriber_ref from unsubscribe_subscribers where tenant_id = @t and patient_id = @p", new { t = clinic.TenantId, p = patient });
        await gateway.Services.GetRequiredService<UnsubscribeRecorder>().WithdrawAsync(new UnsubscribeRequest(clinic.TenantId, subscriberRef!,
            [Channel.WhatsApp], UnsubscribeScope.Channel, UnsubscribeMethod.OneClick, "spring-peel", "k1", DateTimeOffset.UtcNow,
            IPAddress.Parse(ip), userAgent), CancellationToken.None);

        var erased = await clinic.Http.DeleteAsync($"/api/patients/{patient}");
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        var result = JsonDocument.Parse(await erased.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, result.GetProperty("deferredIntentsClosed").GetInt32());
        Assert.Equal(1, result.GetProperty("providerOptOutsPseudonymised").GetInt32());
        Assert.Equal(1, result.GetProperty("unsubscribeEventsPseudonymised").GetInt32());
        Assert.Equal(2, result.GetProperty("providerTextsCleared").GetInt32());

        // Scan every text-like (and inet) column of every table for the address, the number, the names, the IP and user agent.
        var columns = (await connection.QueryAsync<(string Table, string Column)>("""
            select c.table_name, c.column_name from information_schema.columns c
            join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
            where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
              and c.data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'inet')
            """)).ToList();
        Assert.Contains(columns, c => c.Table == "contacts" && c.Column == "email");
        Assert.Contains(columns, c => c.Table == "unsubscribe_events" && c.Column == "ip");
        var needles = new[] { email, e164[1..], e164[4..], "Erasable", ip, userAgent };
        foreach (var (table, column) in columns)
        {
            foreach (var needle in needles)
            {
                var hits = await connection.ExecuteScalarAsync<long>(
                    $"select count(*) from \"{table}\" where \"{column}\"::text ilike '%' || @needle || '%'", new { needle });
                Assert.True(hits == 0, $"{table}.{column} still holds '{needle}'");
            }
        }

        // Nor does any bytea column hold the unkeyed SHA-256 of the address or the number (brute-forceable back to them).
        var byteaColumns = (await connection.QueryAsync<(string Table, string Column)>("""
            select c.table_name, c.column_name from information_schema.columns c
            join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
            where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.data_type = 'bytea'
            """)).ToList();
        Assert.Contains(byteaColumns, c => c.Table == "suppressions" && c.Column == "address_hash");
        foreach (var (table, column) in byteaColumns)
        {
            var hits = await connection.ExecuteScalarAsync<long>(
                $"select count(*) from \"{table}\" where \"{column}\" in (sha256(convert_to(@email, 'UTF8')), sha256(convert_to(@e164, 'UTF8')))",
                new { email, e164 });
            Assert.True(hits == 0, $"{table}.{column} still holds an unkeyed hash of the erased address");
        }

        // What stays is keyed: the bounce, the carrier STOP and the erasure itself, under HMAC-SHA256 with the gateway's key.
        var hasher = gateway.Services.GetRequiredService<AddressHasher>();
        Assert.Equal(["erased", "hard_bounce"], (await connection.QueryAsync<string>(
            "select reason from suppressions where tenant_id = @t and channel = 'email' and address_hash = @hash order by reason",
            new { t = clinic.TenantId, hash = hasher.Hash(email) })).ToArray());
        Assert.Equal(["erased", "provider_opt_out"], (await connection.QueryAsync<string>(
            "select reason from suppressions where tenant_id = @t and channel = 'sms' and address_hash = @hash order by reason",
            new { t = clinic.TenantId, hash = hasher.Hash(e164) })).ToArray());

        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("""
            select count(*) from consent_events where tenant_id = @t and patient_id = @p
              and (ip is not null or user_agent is not null or form_url is not null)
            """, new { t = clinic.TenantId, p = patient }));

        // The deferred intent, stripped of address and content, falls due at once and ends in its final decision.
        var final = await gateway.WaitForDecisionsAsync(clinic.TenantId, deferredIntent, 2);
        Assert.Equal(["Deferred", "Blocked"], final.Select(d => d.Outcome));
        Assert.Equal([ReasonCodes.NoContactPoint], final[1].Reasons);

        // Consent, unsubscribe and decision rows stay (the clinic still demonstrates what it did), pseudonymised:
        // 2 grants, the carrier STOP and the link's withdrawal; the email, the SMS, the deferral and its final decision.
        Assert.Equal(4, await connection.ExecuteScalarAsync<long>(
            "select count(*) from consent_events where tenant_id = @t and patient_id = @p", new { t = clinic.TenantId, p = patient }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
            "select count(*) from unsubscribe_events where tenant_id = @t and patient_id = @p", new { t = clinic.TenantId, p = patient }));
        Assert.Equal(4, await connection.ExecuteScalarAsync<long>(
            "select count(*) from decisions where tenant_id = @t and patient_id = @p", new { t = clinic.TenantId, p = patient }));
        // The poller deletes the parked row when it commits its batch, just after the final decision.
        Assert.Equal(0, await Poll.UntilAsync(() => connection.ExecuteScalarAsync<long>(
            "select count(*) from deferred_intents where tenant_id = @t", new { t = clinic.TenantId }), count => count == 0, TimeSpan.FromSeconds(10)));

        // The same address, back under a new patient record, is still suppressed on every channel.
        var returning = Clinic.NewPatient();
        (await clinic.PutContactAsync(returning, new { email = email.ToUpperInvariant(), phone = e164 })).EnsureSuccessStatusCode();
        var query = gateway.Services.GetRequiredService<CommsGateway.Features.Intents.DecisionContextQuery>();
        foreach (var channel in new[] { Channel.Email, Channel.Sms, Channel.WhatsApp })
        {
            var context = await query.LoadAsync(clinic.TenantId, returning, channel, [], DateTimeOffset.UtcNow, CancellationToken.None);
            Assert.True(context.AddressSuppressed, $"{channel} not suppressed after erasure");
        }
    }

    [Fact]
    public async Task Should_keep_the_ledger_append_only_outside_erasure()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { email = NewAddresses().Email })).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(patient, "email")).EnsureSuccessStatusCode();
        await using var connection = await gateway.Db.OpenConnectionAsync();

        // Blanking provenance without the erasure flag is refused like any other edit.
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync(
            "update consent_events set ip = null, user_agent = null, form_url = null, evidence = '{\"erased\": true}' where tenant_id = @t",
            new { t = clinic.TenantId }));
        // And even with the flag, nothing but provenance may change.
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("select set_config('commsgw.erasure', 'on', true)", transaction: tx);
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync(
            "update consent_events set action = 'withdraw', ip = null, user_agent = null, form_url = null, evidence = '{\"erased\": true}' where tenant_id = @t",
            new { t = clinic.TenantId }, tx));
    }

    [Fact]
    public async Task Should_keep_unsubscribe_events_append_only_but_for_erasing_their_provenance()
    {
        var tenant = $"t-{Guid.NewGuid():N}";
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into unsubscribe_events (request_id, tenant_id, subscriber_ref, patient_id, channel, scope, method, key_id, token_issued_at, ip, user_agent, occurred_at)
            values (gen_random_uuid(), @tenant, 'ref', 'p-1', 'email', 'channel', 'page', 'k1', now(), '192.0.2.1', 'UA', now())
            """, new { tenant });
        const string Blank = "update unsubscribe_events set ip = null, user_agent = null where tenant_id = @tenant";

        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync(Blank, new { tenant }));
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("select set_config('commsgw.erasure', 'on', true)", transaction: tx);
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync(
            "update unsubscribe_events set ip = null, user_agent = null, channel = 'sms' where tenant_id = @tenant", new { tenant }, tx));
        await tx.RollbackAsync();
        await using var erasure = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("select set_config('commsgw.erasure', 'on', true)", transaction: erasure);
        Assert.Equal(1, await connection.ExecuteAsync(Blank, new { tenant }, erasure));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync(
            "delete from unsubscribe_events where tenant_id = @tenant", new { tenant }, erasure));
    }
}

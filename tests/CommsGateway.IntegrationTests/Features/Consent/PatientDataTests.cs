using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Features.Consent;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Consent;

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

    [Fact]
    public async Task Should_erase_every_address_and_keep_a_hashed_suppression_that_flags_the_address_again()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        var (email, nationalPhone, e164) = NewAddresses();
        (await clinic.PutContactAsync(patient, new { firstName = "Zoé", lastName = "Erasable", email, phone = nationalPhone, whatsApp = e164 })).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(patient, "email")).EnsureSuccessStatusCode();
        (await clinic.GrantAsync(patient, "sms")).EnsureSuccessStatusCode();
        await MarketingDecisionAsync(clinic, patient);

        var erased = await clinic.Http.DeleteAsync($"/api/patients/{patient}");
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);

        // Scan every text-like column of every table for the address, the number and the names.
        await using var connection = await gateway.Db.OpenConnectionAsync();
        var columns = (await connection.QueryAsync<(string Table, string Column)>("""
            select c.table_name, c.column_name from information_schema.columns c
            join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
            where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
              and c.data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY')
            """)).ToList();
        Assert.Contains(columns, c => c.Table == "contacts" && c.Column == "email");
        var needles = new[] { email, e164[1..], e164[4..], "Erasable" };
        foreach (var (table, column) in columns)
        {
            foreach (var needle in needles)
            {
                var hits = await connection.ExecuteScalarAsync<long>(
                    $"select count(*) from \"{table}\" where \"{column}\"::text ilike '%' || @needle || '%'", new { needle });
                Assert.True(hits == 0, $"{table}.{column} still holds '{needle}'");
            }
        }

        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("""
            select count(*) from consent_events where tenant_id = @t and patient_id = @p
              and (ip is not null or user_agent is not null or form_url is not null)
            """, new { t = clinic.TenantId, p = patient }));

        // Consent and decision rows stay (the clinic still demonstrates what it did), pseudonymised.
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>(
            "select count(*) from consent_events where tenant_id = @t and patient_id = @p", new { t = clinic.TenantId, p = patient }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
            "select count(*) from decisions where tenant_id = @t and patient_id = @p", new { t = clinic.TenantId, p = patient }));

        // The same address, back under a new patient record, is still suppressed on every channel.
        var returning = Clinic.NewPatient();
        (await clinic.PutContactAsync(returning, new { email = email.ToUpperInvariant(), phone = e164 })).EnsureSuccessStatusCode();
        var query = gateway.Services.GetRequiredService<DecisionContextQuery>();
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
}

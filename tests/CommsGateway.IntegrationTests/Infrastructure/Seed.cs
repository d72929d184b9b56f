using System.Globalization;
using CommsGateway.Contracts;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>Clinics, patients and marketing grants written straight in SQL: fast, and independent of the admin API.</summary>
internal static class Seed
{
    public const string WordingSha256 = TestConsents.WordingSha256;

    public static string NewTenant() => $"t-{Guid.NewGuid():N}"[..20];

    public static string NewPatient() => $"p-{Guid.NewGuid():N}"[..14];

    /// <summary>A French mobile in an allocated range (06 12 ...), unique enough for one test run.</summary>
    public static string NewMobile() => "+33612" + Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);

    public static string NewEmail() => $"{Guid.NewGuid():N}@example.fr";

    public static async Task ClinicAsync(GatewayFixture gateway, string tenantId)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        // A clinic created here gets the test sender; one created before keeps its own (or its lack of one).
        if (await connection.ExecuteAsync("insert into tenants (tenant_id, name) values (@tenantId, 'Test clinic') on conflict do nothing", new { tenantId }) == 1)
        {
            await TestSenders.StoreAsync(connection, tenantId);
        }
    }

    /// <summary>Puts patients on record with a marketing grant (given a day ago, with its wording) on each channel named.</summary>
    public static async Task PatientsAsync(GatewayFixture gateway, string tenantId, IReadOnlyList<(string PatientId, string? Email, string? Phone)> patients,
        params Channel[] grants)
    {
        await ClinicAsync(gateway, tenantId);
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into contacts (tenant_id, patient_id, email, phone_e164, whatsapp_e164, locale, time_zone, updated_by)
            select @tenantId, p, e, ph, ph, 'fr', 'Europe/Paris', 'tests' from unnest(@ids, @emails, @phones) as u(p, e, ph)
            """, new
        {
            tenantId, ids = patients.Select(p => p.PatientId).ToArray(), emails = patients.Select(p => p.Email).ToArray(),
            phones = patients.Select(p => p.Phone).ToArray(),
        });
        // The patients wrote to the clinic on WhatsApp a moment ago: free-form WhatsApp is allowed (24-hour window).
        // Tests of the closed window remove it (CloseWhatsAppWindowAsync).
        await connection.ExecuteAsync("""
            insert into whatsapp_sessions (tenant_id, patient_id, last_inbound_at)
            select @tenantId, p, now() from unnest(@ids, @phones) as u(p, ph) where ph is not null
            on conflict (tenant_id, patient_id) do update set last_inbound_at = excluded.last_inbound_at
            """, new { tenantId, ids = patients.Select(p => p.PatientId).ToArray(), phones = patients.Select(p => p.Phone).ToArray() });
        await TestConsents.AppendAsync(gateway.Db,
            grants.SelectMany(channel => patients.Select(p => TestConsents.MarketingGrant(tenantId, p.PatientId, WireNames.Of(channel)))));
    }

    /// <summary>No inbound WhatsApp message on record: the 24-hour window is closed.</summary>
    public static async Task CloseWhatsAppWindowAsync(GatewayFixture gateway, string tenantId, string patientId)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await connection.ExecuteAsync("delete from whatsapp_sessions where tenant_id = @tenantId and patient_id = @patientId", new { tenantId, patientId });
    }

    public static Task PatientAsync(GatewayFixture gateway, string tenantId, string patientId, string? email, string? phone, params Channel[] grants) =>
        PatientsAsync(gateway, tenantId, [(patientId, email, phone)], grants);

    public sealed record LedgerRow(long EventId, string Channel, string Action, string Source, string? WordingVersion, string? WordingSha256,
        string? Ip, string? UserAgent, string Evidence);

    public static async Task<IReadOnlyList<LedgerRow>> LedgerAsync(GatewayFixture gateway, string tenantId, string patientId)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return (await connection.QueryAsync<LedgerRow>("""
            select event_id, channel, action, source, wording_version, wording_sha256, ip, user_agent, evidence::text as evidence
            from consent_events where tenant_id = @tenantId and patient_id = @patientId order by event_id
            """, new { tenantId, patientId })).ToList();
    }

    public static MessageIntent Marketing(string tenantId, string patientId, Channel channel, string? campaignId = null) => new()
    {
        IntentId = $"mkt-{Guid.NewGuid():N}", TenantId = tenantId, Producer = "campaigns", PatientId = patientId, Channel = channel,
        DeclaredPurpose = Purpose.Marketing, Category = "campaign", CampaignId = campaignId, Locale = "fr",
        Subject = channel == Channel.Email ? "Offre de printemps" : null,
        Body = "20% off all peels this month: book now!",
        Html = channel == Channel.Email ? "<html><body><p>20% off all peels this month: <b>book now!</b></p></body></html>" : null,
        Blocks = [new ContentBlock { Kind = Purpose.Marketing, Text = "20% off all peels this month: book now!" }],
    };

    public static MessageIntent Service(string tenantId, string patientId, Channel channel) => new()
    {
        IntentId = $"svc-{Guid.NewGuid():N}", TenantId = tenantId, Producer = "booking", PatientId = patientId, Channel = channel,
        DeclaredPurpose = Purpose.Service, Category = "appointment_reminder",
        Subject = channel == Channel.Email ? "Votre rendez-vous" : null,
        Body = "Reminder: your appointment with Dr Patel is tomorrow at 10:30.",
    };

    /// <summary>Publishes and waits for the one decision row.</summary>
    public static async Task<DecisionRow> DecideAsync(GatewayFixture gateway, MessageIntent intent)
    {
        await gateway.PublishAsync(intent);
        return Assert.Single(await gateway.WaitForDecisionsAsync(intent.TenantId, intent.IntentId));
    }

#pragma warning disable CA1308
#pragma warning restore CA1308
}

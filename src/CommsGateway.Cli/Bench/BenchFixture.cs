using System.Globalization;
using System.Text;
using CommsGateway.Core.Consent;
using CommsGateway.Features.Consent;
using Npgsql;

namespace CommsGateway.Cli.Bench;

/// <summary>
/// What the gateway phase needs besides the servers and processes: the clinics, patients and consents the intents name.
/// </summary>
internal static class BenchFixture
{
    public const string ShortCode = "36180";
    public const string WhatsAppFrom = "+33700000002";

    /// <summary>Each of the 16 bench clinics has this many patients on record (IntentMix addresses p-00000..).</summary>
    public const int PatientsPerTenant = 5_000;

    /// <summary>Marketing open all week, any hour, no holidays, and a 7-day cap the repeated runs never reach.</summary>
    private const string Settings = """
        {"marketing_window_start":"00:00","marketing_window_end":"23:59:59","marketing_on_sundays":true,
         "holiday_country":"ZZ","marketing_frequency_cap_per_7_days":1000}
        """;

    /// <summary>
    /// 16 clinics x 5,000 patients (email, mobile, WhatsApp on record). Marketing consent per channel: even
    /// patients granted email/SMS/WhatsApp 30 days ago, every sixth of them withdrew since; odd patients never
    /// granted. Clinic settings open the marketing window all week (the bench runs at any hour; quiet hours would
    /// defer the SMS/WhatsApp campaigns instead of sending them) and lift the 7-day frequency cap (the same patients
    /// receive a campaign in every run). Both are per-clinic settings a real clinic can choose.
    /// </summary>
    public static async Task SeedAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        const string settings = Settings;
        var sql = new StringBuilder();
        sql.Append(CultureInfo.InvariantCulture, $"""
            insert into tenants (tenant_id, name, settings, email_from, email_from_name, reply_to, sms_from, whatsapp_from,
                                 whatsapp_marketing_content_sid)
            select 'bench-clinic-' || lpad(t::text, 2, '0'), 'Bench clinic ' || t, '{settings}'::jsonb,
                   'rendez-vous@bench-clinic-' || t || '.example', 'Bench clinic ' || t, 'accueil@bench-clinic-' || t || '.example',
                   '{ShortCode}', '{WhatsAppFrom}', 'HXbench000000000000000000000000'
            from generate_series(0, 15) as t;

            insert into contacts (tenant_id, patient_id, email, phone_e164, whatsapp_e164, locale, time_zone, updated_by)
            select 'bench-clinic-' || lpad(t::text, 2, '0'), 'p-' || lpad(p::text, 5, '0'),
                   'p' || p || '.c' || t || '@example.org',
                   '+3361' || lpad((t * {PatientsPerTenant} + p)::text, 7, '0'),
                   '+3361' || lpad((t * {PatientsPerTenant} + p)::text, 7, '0'),
                   'fr', 'Europe/Paris', 'bench'
            from generate_series(0, 15) as t, generate_series(0, {PatientsPerTenant - 1}) as p;

            -- Every patient wrote on WhatsApp an hour ago: the 24-hour window is open (free-form WhatsApp, not WhatsAppWindowClosed).
            insert into whatsapp_sessions (tenant_id, patient_id, last_inbound_at)
            select tenant_id, patient_id, now() - interval '1 hour' from contacts where updated_by = 'bench';

            analyze tenants; analyze contacts;
            """);
        await using (var command = new NpgsqlCommand(sql.ToString(), connection) { CommandTimeout = 300 })
        {
            await command.ExecuteNonQueryAsync(ct);
        }

        var now = DateTimeOffset.UtcNow;
        string[] channels = ["email", "sms", "whatsapp"];
        await AppendConsentsAsync(connectionString, Enumerable.Range(0, 16).SelectMany(t =>
        {
            var tenantId = "bench-clinic-" + t.ToString("00", CultureInfo.InvariantCulture);
            var patients = Enumerable.Range(0, PatientsPerTenant).Select(p => (Number: p, Id: "p-" + p.ToString("00000", CultureInfo.InvariantCulture)));
            return patients.Where(p => p.Number % 2 == 0).SelectMany(p => channels.Select(ch => Grant(tenantId, p.Id, ch, now.AddDays(-30))))
                .Concat(patients.Where(p => p.Number % 6 == 0).SelectMany(p => channels.Select(ch => new ConsentEventRow(
                    new ConsentEventFacts(tenantId, p.Id, "marketing", ch, null, "withdraw", now.AddDays(-2), "unsubscribe_link", null, null, null, "bench"),
                    null, null, null))));
        }), ct);
    }

    /// <summary>A marketing grant from the web form with the bench's wording.</summary>
    private static ConsentEventRow Grant(string tenantId, string patientId, string channel, DateTimeOffset occurredAt) =>
        new(new ConsentEventFacts(tenantId, patientId, "marketing", channel, null, "grant", occurredAt, "web_form",
            "bench-wording-v1", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("bench wording"u8)), "bench", "bench"),
            null, null, null);

    /// <summary>
    /// Consents go through the ledger's chained append path (a transaction per 1,000 events of a clinic), so the bench's
    /// ledger verifies like a real one; then the planner's statistics.
    /// </summary>
    private static async Task AppendConsentsAsync(string connectionString, IEnumerable<ConsentEventRow> events, CancellationToken ct)
    {
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await ConsentLedger.ImportAsync(dataSource, events, ct);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var analyze = new NpgsqlCommand("analyze consent_events", connection);
        await analyze.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// One clinic with <paramref name="patients"/> patients, each with an email address, a first name and a live
    /// marketing grant on email (30 days old), under the same open settings as the bench clinics: a campaign's audience.
    /// </summary>
    public static async Task SeedCampaignAsync(string connectionString, string tenantId, int patients, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var sql = string.Create(CultureInfo.InvariantCulture, $"""
            insert into tenants (tenant_id, name, settings, email_from, email_from_name, reply_to)
            values (@tenant, 'Clinique des Lilas', '{Settings}'::jsonb, 'offres@clinique-des-lilas.example', 'Clinique des Lilas',
                    'accueil@clinique-des-lilas.example');

            insert into contacts (tenant_id, patient_id, first_name, email, locale, time_zone, updated_by)
            select @tenant, 'c-' || lpad(p::text, 6, '0'), (array['Camille','Léa','Zoé','Inès','Chloé','Manon','Hugo','Lucas','Noé','Théo'])[1 + p % 10],
                   'c' || p || '@patients.example', 'fr', 'Europe/Paris', 'bench'
            from generate_series(0, {patients - 1}) as p;

            """);
        await using (var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600, Parameters = { new("tenant", tenantId) } })
        {
            await command.ExecuteNonQueryAsync(ct);
        }

        await using (var analyze = new NpgsqlCommand("analyze contacts", connection))
        {
            await analyze.ExecuteNonQueryAsync(ct);
        }

        var occurredAt = DateTimeOffset.UtcNow.AddDays(-30);
        await AppendConsentsAsync(connectionString, Enumerable.Range(0, patients)
            .Select(p => Grant(tenantId, "c-" + p.ToString("000000", CultureInfo.InvariantCulture), "email", occurredAt)), ct);
    }

    /// <summary>One run's decisions by outcome and dispatches by status, once no dispatch is left in flight (or 30 s passed).</summary>
    public static async Task<string> OutcomeMixAsync(string connectionString, string intentPrefix, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        for (var i = 0; i < 300; i++)
        {
            await using var inFlight = new NpgsqlCommand("select count(*) from dispatches where status = 'dispatching' and intent_id like $1", connection) { Parameters = { new() { Value = intentPrefix + "%" } } };
            if ((long)(await inFlight.ExecuteScalarAsync(ct))! == 0)
            {
                break;
            }

            await Task.Delay(100, ct);
        }

        var parts = new List<string>();
        await using (var decisions = new NpgsqlCommand("select outcome, count(*) from decisions where intent_id like $1 group by outcome order by 2 desc", connection) { Parameters = { new() { Value = intentPrefix + "%" } } })
        await using (var reader = await decisions.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)} {reader.GetInt64(1)}"));
            }
        }

        var dispatches = new List<string>();
        await using (var command = new NpgsqlCommand("select status, count(*) from dispatches where intent_id like $1 group by status order by 2 desc", connection) { Parameters = { new() { Value = intentPrefix + "%" } } })
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                dispatches.Add(string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)} {reader.GetInt64(1)}"));
            }
        }

        return $"decisions: {string.Join(", ", parts)}; dispatches: {string.Join(", ", dispatches)}";
    }
}

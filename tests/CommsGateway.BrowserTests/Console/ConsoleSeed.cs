using System.Security.Cryptography;
using System.Text;
using CommsGateway.BrowserTests.Infrastructure;
using CommsGateway.Core.Consent;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Consent;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.BrowserTests.Console;

/// <summary>The test clinic and its patients, written as the gateway's own services write them.</summary>
internal static class ConsoleSeed
{
    private static readonly string[] Zones =
    [
        "Europe/Paris", "Asia/Dubai", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
        "Pacific/Honolulu", "America/Los_Angeles", "America/Denver", "America/New_York", "America/Sao_Paulo", "Atlantic/Azores",
    ];

    /// <summary>
    /// A time zone where it is now mid-day, so marketing to a patient living there is inside the clinic's default
    /// marketing window (08:00-20:00 in the patient's zone) whenever the tests run, and is sent rather than deferred.
    /// </summary>
    public static string DaytimeZone() => Zones.First(zone =>
        TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(zone)).Hour is >= 10 and <= 16);

    public static async Task ClinicAsync(KestrelGateway gateway)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await connection.ExecuteAsync("insert into tenants (tenant_id, name) values (@tenant, @name) on conflict do nothing",
            new { tenant = KestrelGateway.Tenant, name = KestrelGateway.ClinicName });
        await TestSenders.StoreAsync(connection, KestrelGateway.Tenant);
    }

    /// <summary>A patient with an email address, living where it is day; with a marketing grant by email when asked.</summary>
    public static async Task PatientAsync(KestrelGateway gateway, string patientId, string firstName, string email, string locale, bool marketingByEmail)
    {
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                insert into contacts (tenant_id, patient_id, first_name, last_name, email, locale, time_zone, updated_by)
                values (@tenant, @patientId, @firstName, 'Martin', @email, @locale, @zone, 'tests')
                """, new { tenant = KestrelGateway.Tenant, patientId, firstName, email, locale, zone = DaytimeZone() });
        }

        if (!marketingByEmail)
        {
            return;
        }

        var granted = await gateway.Services.GetRequiredService<ConsentLedger>().RecordAsync(new ConsentCommand
        {
            TenantId = KestrelGateway.Tenant, PatientId = patientId, Action = ConsentAction.Grant, Purposes = ["marketing"], Channels = ["email"],
            Evidence = new ConsentEvidence
            {
                Source = "paper_form", WordingVersion = "mkt-v1", WordingSha256 = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("I agree"))),
                CapturedBy = "tests",
            },
        }, new Actor("tests"), CancellationToken.None);
        Assert.True(granted.Ok, string.Join("; ", granted.Errors.Select(e => e.Message)));
    }
}

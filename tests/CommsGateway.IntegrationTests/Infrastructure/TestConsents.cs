using CommsGateway.Core.Consent;
using CommsGateway.Features.Consent;
using Npgsql;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Consent-ledger events the tests put on record, appended through the ledger's chained append path
/// (<see cref="ConsentLedger.ImportAsync"/>): a raw insert would leave rows the consent chain verifier reports.
/// </summary>
internal static class TestConsents
{
    /// <summary>The SHA-256 of the consent wording "test", the version the grants name.</summary>
    public const string WordingSha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    /// <summary>A marketing grant on a channel from the booking portal's web form, with its wording, a day ago.</summary>
    public static ConsentEventRow MarketingGrant(string tenantId, string patientId, string channel, string capturedBy = "booking-portal") =>
        new(new ConsentEventFacts(tenantId, patientId, "marketing", channel, null, "grant", DateTimeOffset.UtcNow.AddDays(-1),
            "web_form", "mkt-v3", WordingSha256, capturedBy, "tests"), null, null, null);

    /// <summary>A marketing withdrawal on a channel, without wording (a withdrawal needs none).</summary>
    public static ConsentEventRow MarketingWithdrawal(string tenantId, string patientId, string channel, string source, DateTimeOffset occurredAt) =>
        new(new ConsentEventFacts(tenantId, patientId, "marketing", channel, null, "withdraw", occurredAt, source, null, null, null, "tests"),
            null, null, null);

    public static Task AppendAsync(NpgsqlDataSource db, IEnumerable<ConsentEventRow> events) => ConsentLedger.ImportAsync(db, events, CancellationToken.None);
}

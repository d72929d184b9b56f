using CommsGateway.Core.Policy;
using CommsGateway.Features.Admin;
using Npgsql;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Stores a test clinic's sender identity (<see cref="FakeProviderSettings.SenderFor"/>) in its tenants row, as an
/// operator does with `commsgw tenant sender`: without it the clinic's messages are Blocked NoSenderIdentity.
/// Fields already stored are kept.
/// </summary>
public static class TestSenders
{
    public static Task StoreAsync(NpgsqlConnection connection, string tenantId, NpgsqlTransaction? tx = null) =>
        StoreAsync(connection, tenantId, FakeProviderSettings.SenderFor(tenantId), tx);

    public static Task StoreAsync(NpgsqlConnection connection, string tenantId, ClinicSender sender, NpgsqlTransaction? tx = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(sender);
        return TenantDirectory.FillSenderAsync(connection, tx, tenantId, sender, CancellationToken.None);
    }
}

using Dapper;
using Microsoft.AspNetCore.Authorization;
using Npgsql;

namespace CommsGateway.Features.Console.Campaigns;

/// <summary>The clinic's campaigns, newest first (no patient data: names, states, counts).</summary>
[Authorize(Policy = ConsolePolicies.Campaigns)]
public sealed class IndexModel(NpgsqlDataSource dataSource) : ConsolePageModel
{
    public sealed record Row(string CampaignId, string Name, string Status, int RecipientCount, int QueuedCount, DateTime CreatedAt);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Title = T("Campaigns", "Campagnes");
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        Rows = [.. await connection.QueryAsync<Row>(new CommandDefinition("""
            select campaign_id, name, status, recipient_count, queued_count, created_at from campaigns
            where tenant_id = @tenant order by created_at desc limit 200
            """, new { tenant = TenantId }, cancellationToken: ct))];
    }
}

using Dapper;
using Microsoft.AspNetCore.Authorization;
using Npgsql;

namespace CommsGateway.Features.Console.Patients;

/// <summary>Find a patient by id or name; each patient listed is logged (their name is shown).</summary>
[Authorize(Policy = ConsolePolicies.Patients)]
public sealed class IndexModel(NpgsqlDataSource dataSource) : ConsolePageModel
{
    public sealed record Found(string PatientId, string? FirstName, string? LastName);

    public string? Query { get; private set; }

    public IReadOnlyList<Found> Results { get; private set; } = [];

    public async Task OnGetAsync(string? q, CancellationToken ct)
    {
        Title = T("Patients", "Patients");
        Query = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        if (Query is null)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // The exact id, or every word of the query in the first or last name (accents as typed), 50 at most.
        Results = [.. await connection.QueryAsync<Found>(new CommandDefinition("""
            select patient_id, first_name, last_name from contacts
            where tenant_id = @tenant
              and (patient_id = @q
                   or (select bool_and(coalesce(first_name, '') || ' ' || coalesce(last_name, '') ilike '%' || word || '%')
                       from unnest(regexp_split_to_array(@q, '\s+')) as word))
            order by last_name nulls last, first_name, patient_id
            limit 50
            """, new { tenant = TenantId, q = Query }, cancellationToken: ct))];
        await LogAccessAsync(Results.Select(r => r.PatientId), "patient.search", null);
    }
}

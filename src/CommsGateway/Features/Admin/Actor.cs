using System.Text.Json;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Admin;

/// <summary>
/// Who performs an admin write: the API key (id and label) or the CLI's operating-system user, plus the person
/// the caller says it acts for (X-Actor header / --actor). Every admin action is attributed (DOMAIN: accountability).
/// </summary>
public sealed record Actor(string Id, string? OnBehalf = null)
{
    public static Actor Cli(string? onBehalf = null) => new("cli:" + Environment.UserName, onBehalf);

    /// <summary>"key:ck_ab12 (front desk) for dr.martin": what updated_by / recorded_by columns keep.</summary>
    public override string ToString() => OnBehalf is null ? Id : $"{Id} for {OnBehalf}";
}

/// <summary>The admin audit trail, written in the same transaction as the change it describes.</summary>
internal static class AdminAudit
{
    public static Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string tenantId, Actor actor,
        string action, string? patientId, object? detail, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into admin_audit (tenant_id, actor, on_behalf, action, patient_id, detail)
            values (@tenantId, @actor, @onBehalf, @action, @patientId, @detail::jsonb)
            """,
            new { tenantId, actor = actor.Id, onBehalf = actor.OnBehalf, action, patientId, detail = JsonSerializer.Serialize(detail ?? new { }) },
            tx, cancellationToken: ct));
}

using System.Reflection;
using Dapper;
using Npgsql;

namespace CommsGateway.Data;

/// <summary>
/// Forward-only migrations: embedded Data/Migrations/NNNN_name.sql files, applied in name order,
/// each in its own transaction, recorded in schema_migrations. An advisory lock lets several
/// gateway instances start at once without racing.
/// </summary>
public static class MigrationRunner
{
    private const long LockKey = 0x436F6D6D73475701; // "CommsGW\x01"

    public static IReadOnlyList<(string Name, string Sql)> Scripts()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        const string prefix = "CommsGateway.Data.Migrations.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => (n[prefix.Length..^4], Read(assembly, n)))
            .ToArray();
    }

    public static async Task<IReadOnlyList<string>> ApplyAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: ct));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                create table if not exists schema_migrations (
                    name text primary key,
                    applied_at timestamptz not null default now()
                )
                """, cancellationToken: ct));
            var done = (await connection.QueryAsync<string>(new CommandDefinition(
                "select name from schema_migrations", cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);

            var applied = new List<string>();
            foreach (var (name, sql) in Scripts().Where(s => !done.Contains(s.Name)))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                await connection.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition(
                    "insert into schema_migrations(name) values (@name)", new { name }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                applied.Add(name);
            }

            return applied;
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_unlock(@LockKey)", new { LockKey }, cancellationToken: CancellationToken.None));
        }
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Missing migration resource {resource}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

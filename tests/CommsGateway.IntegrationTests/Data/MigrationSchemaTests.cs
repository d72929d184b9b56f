using CommsGateway.Data;
using CommsGateway.Features.Audit;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Npgsql;

namespace CommsGateway.IntegrationTests.Data;

/// <summary>The schema a fresh install gets from every migration, checked against what the code reads and writes.</summary>
public sealed class MigrationSchemaTests : IAsyncLifetime
{
    private TestServers _servers = null!;
    private NpgsqlDataSource _db = null!;

    public async Task InitializeAsync()
    {
        _servers = await TestServers.StartAsync();
        _db = Database.CreateDataSource(_servers.ConnectionString);
        await MigrationRunner.ApplyAsync(_db, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        await _servers.DisposeAsync();
    }

    [Fact]
    public async Task Should_have_every_column_the_decision_readers_name()
    {
        await using var connection = await _db.OpenConnectionAsync();
        Assert.Empty(await connection.QueryAsync($"select {CommsGateway.Features.Intents.DecisionRow.Columns} from decisions limit 0"));

        var query = new DecisionQuery(_db);
        Assert.Empty((await query.SearchAsync(new DecisionFilter { TenantId = "schema" }, CancellationToken.None)).Items);
        Assert.Null(await query.FindAsync("schema", Guid.NewGuid(), CancellationToken.None));
        Assert.Empty(await DecisionQuery.ForPatientAsync(connection, "schema", "p-1", CancellationToken.None));
    }

    [Fact]
    public async Task Should_keep_one_keyed_hash_per_suppression()
    {
        await using var connection = await _db.OpenConnectionAsync();
        var columns = (await connection.QueryAsync<string>("""
            select column_name from information_schema.columns
            where table_schema = 'public' and table_name = 'suppressions' order by ordinal_position
            """)).ToList();
        Assert.Equal(["tenant_id", "channel", "address_hash", "reason", "created_at"], columns);
        Assert.Empty(await connection.QueryAsync<string>(
            "select indexname from pg_indexes where schemaname = 'public' and tablename = 'suppressions' and indexname <> 'suppressions_pkey'"));
    }

    [Fact]
    public async Task Should_define_functions_that_name_their_tables_rather_than_look_for_them()
    {
        await using var connection = await _db.OpenConnectionAsync();
        var looking = (await connection.QueryAsync<string>("""
            select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'public' and (p.prosrc ilike '%to_regclass%' or p.prosrc ~* '\mexecute\s+(''|\$)')
            """)).ToList();
        Assert.Empty(looking);
    }

    [Fact]
    public async Task Should_record_every_migration_and_apply_none_twice()
    {
        await using var connection = await _db.OpenConnectionAsync();
        var recorded = (await connection.QueryAsync<string>("select name from schema_migrations order by name")).ToList();
        Assert.Equal(MigrationRunner.Scripts().Select(s => s.Name), recorded);
        Assert.Empty(await MigrationRunner.ApplyAsync(_db, CancellationToken.None));
    }
}

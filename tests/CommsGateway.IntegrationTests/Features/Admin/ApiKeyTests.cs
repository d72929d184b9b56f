using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CommsGateway.Features.Admin;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Admin;

/// <summary>Key rotation for a clinic: issue a second key, revoke the first; the revoked one is refused at once.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ApiKeyTests(GatewayFixture gateway)
{
    private TenantDirectory Directory => gateway.Services.GetRequiredService<TenantDirectory>();

    [Fact]
    public async Task Should_refuse_a_revoked_key_from_the_next_request_while_the_new_one_works()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var patient = Clinic.NewPatient();
        (await clinic.PutContactAsync(patient, new { firstName = "Claire", email = "claire@example.fr" })).EnsureSuccessStatusCode();
        var newKey = await Directory.IssueAdditionalKeyAsync(clinic.TenantId, "booking system v2", new Actor("test", "dpo"), CancellationToken.None);
        Assert.NotNull(newKey);
        var oldKeyId = clinic.ApiKey.Split('.')[0];

        Assert.True(await Directory.RevokeKeyAsync(clinic.TenantId, oldKeyId, new Actor("test", "dpo"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, (await clinic.Http.GetAsync($"/api/patients/{patient}/consents")).StatusCode);
        using var rotated = gateway.Factory.CreateClient();
        rotated.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", newKey);
        Assert.Equal(HttpStatusCode.OK, (await rotated.GetAsync($"/api/patients/{patient}/consents")).StatusCode);

        var keys = await Directory.ListKeysAsync(clinic.TenantId, CancellationToken.None);
        Assert.Equal(2, keys.Count);
        Assert.NotNull(Assert.Single(keys, k => k.KeyId == oldKeyId).RevokedAt);
        Assert.Null(Assert.Single(keys, k => k.Label == "booking system v2").RevokedAt);
        Assert.All(keys, k => Assert.DoesNotContain(".", k.KeyId, StringComparison.Ordinal)); // ids only, never secrets

        await using var connection = await gateway.Db.OpenConnectionAsync();
        var audit = (await connection.QueryAsync<string>(
            "select action from admin_audit where tenant_id = @TenantId and action like 'apikey.%' order by audit_id", new { clinic.TenantId })).ToList();
        Assert.Equal(["apikey.issue", "apikey.revoke"], audit);
    }

    [Fact]
    public async Task Should_store_only_the_hash_of_a_key_and_never_its_secret()
    {
        var clinic = await Clinic.CreateAsync(gateway);
        var (keyId, secret) = (clinic.ApiKey.Split('.')[0], clinic.ApiKey.Split('.')[1]);
        await using var connection = await gateway.Db.OpenConnectionAsync();

        var stored = await connection.QuerySingleAsync<byte[]>("select secret_sha256 from api_keys where key_id = @keyId", new { keyId });
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), stored);

        // Nowhere in the database: not as text (any text-like column, the audit's jsonb included), not as raw bytes.
        var columns = (await connection.QueryAsync<(string Table, string Column, string Type)>("""
            select c.table_name, c.column_name, c.data_type from information_schema.columns c
            join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
            where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
              and c.data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')
            """)).ToList();
        Assert.Contains(columns, c => c.Table == "api_keys" && c.Column == "secret_sha256");
        foreach (var (table, column, type) in columns)
        {
            var hits = await connection.ExecuteScalarAsync<long>(type == "bytea"
                ? $"select count(*) from \"{table}\" where position(@raw in \"{column}\") > 0"
                : $"select count(*) from \"{table}\" where \"{column}\"::text like '%' || @secret || '%'",
                new { secret, raw = Encoding.UTF8.GetBytes(secret) });
            Assert.True(hits == 0, $"{table}.{column} holds the plaintext key");
        }
    }

    [Fact]
    public async Task Should_not_revoke_another_clinics_key_or_a_key_twice()
    {
        var clinicA = await Clinic.CreateAsync(gateway);
        var clinicB = await Clinic.CreateAsync(gateway);
        var keyOfA = clinicA.ApiKey.Split('.')[0];

        Assert.False(await Directory.RevokeKeyAsync(clinicB.TenantId, keyOfA, new Actor("test"), CancellationToken.None));
        Assert.True(await Directory.RevokeKeyAsync(clinicA.TenantId, keyOfA, new Actor("test"), CancellationToken.None));
        Assert.False(await Directory.RevokeKeyAsync(clinicA.TenantId, keyOfA, new Actor("test"), CancellationToken.None));
        Assert.Null(await Directory.IssueAdditionalKeyAsync("no-such-clinic-" + Guid.NewGuid().ToString("N")[..6], "x", new Actor("test"), CancellationToken.None));
    }
}

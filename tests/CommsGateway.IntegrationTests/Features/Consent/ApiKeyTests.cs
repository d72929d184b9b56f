using System.Net;
using System.Net.Http.Headers;
using CommsGateway.Features.Admin;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CommsGateway.IntegrationTests.Features.Consent;

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

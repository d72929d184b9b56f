using System.Security.Cryptography;
using CommsGateway.Core.Privacy;
using CommsGateway.Features.Consent;
using CommsGateway.Hosting;
using Dapper;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CommsGateway.Features.Privacy;

public sealed class PrivacyOptions
{
    public const string Section = "Privacy";

    /// <summary>
    /// Base64 of at least 32 random bytes: the HMAC key of suppression address hashes. Never changed on a live
    /// database: rows hashed under the old key (erasures among them) would stop matching.
    /// </summary>
    public string AddressHashKey { get; set; } = "";
}

/// <summary>
/// Fails the start on a missing or short key, and outside Development and Testing on the key committed in
/// appsettings.json (anyone with the repository could brute-force the suppressed addresses back), like
/// <see cref="Unsubscribe.UnsubscribeProductionGuard"/> does for the unsubscribe keys. Never echoes the key.
/// </summary>
internal sealed class PrivacyOptionsValidator(IHostEnvironment environment) : IValidateOptions<PrivacyOptions>
{
    /// <summary>The key committed in appsettings.json (public, hence never acceptable in production).</summary>
    internal const string DevelopmentAddressHashKey = "rZgWDM1yQRuqqIMy81Dn2UrGPBLuNae0/8KQ4+ZDius=";

    public ValidateOptionsResult Validate(string? name, PrivacyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return SecretKeys.Validate(environment, "Privacy:AddressHashKey", options.AddressHashKey, DevelopmentAddressHashKey,
            AddressHasher.MinimumKeyBytes, " before the first start, and keep it (runbooks/access-and-erasure.md)");
    }

    internal static byte[]? DecodeKey(string? value) => SecretKeys.Decode(value, AddressHasher.MinimumKeyBytes);
}

public static class PrivacyFeature
{
    /// <summary>The suppression address hasher and its key, for the gateway and the CLI host alike. Call after AddDatabase.</summary>
    public static IHostApplicationBuilder AddPrivacy(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<PrivacyOptions>().BindConfiguration(PrivacyOptions.Section).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PrivacyOptions>, PrivacyOptionsValidator>());
        builder.Services.TryAddSingleton(sp =>
            new AddressHasher(PrivacyOptionsValidator.DecodeKey(sp.GetRequiredService<IOptions<PrivacyOptions>>().Value.AddressHashKey) ?? []));
        // Registered after the migrations' hosted service, so key_fingerprints (0018) exists when it runs.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AddressHashKeyCheck>());
        return builder;
    }
}

/// <summary>
/// At start-up: refuses a key other than the one this database's suppressions were hashed with (its fingerprint is
/// recorded at the first start).
/// </summary>
internal sealed class AddressHashKeyCheck(NpgsqlDataSource dataSource, IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolved here, not injected: hosted services are built before the options are validated, and a bad key must be
        // reported with every other refused setting (commsgw run's list), not as this service's construction failure.
        var hasher = services.GetRequiredService<AddressHasher>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await RequireRecordedKeyAsync(connection, tx, hasher, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The label whose HMAC under the key identifies it (not an address: it cannot collide with a suppression).</summary>
    private const string FingerprintLabel = "commsgw/key-fingerprint/address-hash-key/v1";

    /// <summary>
    /// Records the key's fingerprint on first use; afterwards a different key stops the start as a refused setting
    /// (listed by `commsgw run` with the others), since every keyed suppression would silently stop matching.
    /// </summary>
    private static async Task RequireRecordedKeyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AddressHasher hasher, CancellationToken ct)
    {
        var fingerprint = hasher.Hash(FingerprintLabel);
        var recorded = await connection.QuerySingleAsync<(byte[] Fingerprint, DateTime RecordedAt)>(new CommandDefinition("""
            with inserted as (
                insert into key_fingerprints (name, fingerprint) values ('address_hash_key', @fingerprint)
                on conflict (name) do nothing
                returning fingerprint, recorded_at
            )
            select fingerprint, recorded_at from inserted
            union all
            select fingerprint, recorded_at from key_fingerprints where name = 'address_hash_key'
            limit 1
            """, new { fingerprint }, tx, cancellationToken: ct));
        if (!CryptographicOperations.FixedTimeEquals(recorded.Fingerprint, fingerprint))
        {
            throw new OptionsValidationException(PrivacyOptions.Section, typeof(PrivacyOptions),
            [
                $"Privacy:AddressHashKey is not the key this database's suppressions were hashed with (recorded {recorded.RecordedAt:yyyy-MM-dd HH:mm} UTC): "
                + "with another key no suppression would match, erased addresses included. Start with the original key "
                + "(runbooks/access-and-erasure.md)",
            ]);
        }
    }
}

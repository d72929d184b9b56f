using System.ComponentModel.DataAnnotations;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Features.Unsubscribe;

/// <summary>
/// Unsubscribe links. Keys are a ring: add a new key, make it active, keep the old ones for at least the validity
/// (400 days) so links already sent keep working, then remove them (runbooks: key rotation).
/// </summary>
public sealed class UnsubscribeOptions : IValidatableObject
{
    public const string Section = "Unsubscribe";

    /// <summary>The key shipped in appsettings.json for local runs and tests, refused outside Development/Testing.</summary>
    public const string DevelopmentKeyPrefix = "dev-";

    public List<UnsubscribeKeyOptions> Keys { get; init; } = [];

    [Required] public string ActiveKeyId { get; set; } = "";

    /// <summary>Base64, at least 32 bytes: keys the subscriber references (HMAC of tenant + patient).</summary>
    [Required] public string SubscriberKey { get; set; } = "";

    /// <summary>How long a link works. At least 365 days (DOMAIN.md: links keep working for at least a year).</summary>
    [Range(365, 3650)] public int ValidityDays { get; set; } = 400;

    /// <summary>Optional address for the RFC 2369 mailto alternative in List-Unsubscribe.</summary>
    [EmailAddress] public string? Mailto { get; set; }

    /// <summary>Clinic display names by tenant id, until the tenants table lands ("Unsubscribe:ClinicNames:clinic-x").</summary>
    public Dictionary<string, string> ClinicNames { get; init; } = new(StringComparer.Ordinal);

    public string ClinicName(string tenantId) => ClinicNames.TryGetValue(tenantId, out var name) && !string.IsNullOrWhiteSpace(name)
        ? name
        : tenantId;

    public UnsubscribeKeyRing KeyRing() =>
        new(Keys.Select(k => new UnsubscribeKey(k.Id, Convert.FromBase64String(k.Secret))), ActiveKeyId);

    public byte[] SubscriberKeyBytes() => Convert.FromBase64String(SubscriberKey);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Keys.Count == 0)
        {
            yield return new ValidationResult("Unsubscribe:Keys needs at least one key", [nameof(Keys)]);
        }

        foreach (var key in Keys)
        {
            byte[] secret;
            try
            {
                secret = Convert.FromBase64String(key.Secret ?? "");
            }
            catch (FormatException)
            {
                secret = [];
            }

            if (UnsubscribeKeyRing.Problem(new UnsubscribeKey(key.Id ?? "", secret)) is { } problem)
            {
                yield return new ValidationResult(problem + " (secret in base64)", [nameof(Keys)]);
            }
        }

        if (Keys.Count(k => k.Id == ActiveKeyId) != 1)
        {
            yield return new ValidationResult("Unsubscribe:ActiveKeyId must name exactly one key of Unsubscribe:Keys", [nameof(ActiveKeyId)]);
        }

        byte[] subscriberKey;
        try
        {
            subscriberKey = Convert.FromBase64String(SubscriberKey ?? "");
        }
        catch (FormatException)
        {
            subscriberKey = [];
        }

        if (subscriberKey.Length < UnsubscribeKeyRing.MinSecretBytes)
        {
            yield return new ValidationResult($"Unsubscribe:SubscriberKey must be base64 of at least {UnsubscribeKeyRing.MinSecretBytes} bytes", [nameof(SubscriberKey)]);
        }
    }
}

public sealed class UnsubscribeKeyOptions
{
    public string Id { get; set; } = "";

    /// <summary>Base64 secret, at least 32 random bytes (`openssl rand -base64 32`).</summary>
    public string Secret { get; set; } = "";
}

using CommsGateway.Contracts;

namespace CommsGateway.Core.Unsubscribe;

/// <summary>What an unsubscribe link withdraws: marketing on the message's channel, or marketing on every channel.</summary>
public enum UnsubscribeScope : byte
{
    Channel = 1,
    AllMarketing = 2,
}

/// <summary>The language of the unsubscribe page and footers.</summary>
public enum UnsubscribeLocale : byte
{
    En = 1,
    Fr = 2,
}

/// <summary>
/// What a token says. No email, phone or patient id: <see cref="SubscriberRef"/> is an opaque keyed hash
/// (see <see cref="SubscriberReference"/>) that only the gateway can map back to a patient.
/// </summary>
public sealed record UnsubscribeClaims(
    string TenantId,
    string SubscriberRef,
    Channel Channel,
    UnsubscribeScope Scope,
    UnsubscribeLocale Locale,
    string? CampaignId,
    DateTimeOffset IssuedAt,
    string KeyId);

/// <summary>Why a token was refused. Callers answer every one the same neutral way (nothing reveals which).</summary>
public enum TokenRejection
{
    None = 0,

    /// <summary>Not base64url, truncated, too long, or a field out of range.</summary>
    Malformed,

    UnsupportedVersion,

    /// <summary>Signed with a key the ring does not hold (retired, or never ours).</summary>
    UnknownKey,

    /// <summary>The MAC does not match: altered or forged.</summary>
    BadSignature,

    Expired,

    /// <summary>Issued in the future beyond the allowed clock skew.</summary>
    NotYetValid,
}

/// <summary>Outcome of verifying a token: the claims, or the reason it was refused. Never an exception.</summary>
public sealed record TokenVerification(UnsubscribeClaims? Claims, TokenRejection Rejection)
{
    public bool IsValid => Claims is not null && Rejection == TokenRejection.None;

    /// <summary>
    /// An authentic token past its validity still says which clinic and channel it was for: enough to tell the patient
    /// what to do next for that channel. Never a reason to act on it.
    /// </summary>
    public UnsubscribeClaims? ExpiredClaims { get; init; }

    public static TokenVerification Valid(UnsubscribeClaims claims) => new(claims, TokenRejection.None);

    public static TokenVerification Refused(TokenRejection rejection) => new(null, rejection);
}

public static class UnsubscribeLocales
{
    /// <summary>French for any "fr" locale ("fr", "fr-FR", "fr_BE"), English otherwise.</summary>
    public static UnsubscribeLocale From(string? locale) =>
        locale is not null && locale.Trim().StartsWith("fr", StringComparison.OrdinalIgnoreCase)
            ? UnsubscribeLocale.Fr
            : UnsubscribeLocale.En;
}

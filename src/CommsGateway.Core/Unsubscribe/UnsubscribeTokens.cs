using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using CommsGateway.Contracts;

namespace CommsGateway.Core.Unsubscribe;

/// <summary>
/// Issues and verifies unsubscribe tokens: a compact binary payload, MAC'd with HMAC-SHA256, base64url.
/// <code>
/// v1: version(1) | keyIdLen(1) keyId | tenantLen(1) tenant | subscriberRef(16) | channel(1) scope(1) locale(1)
///     | campaignLen(1) campaign | issuedAt unix seconds (8, big-endian) | mac(16)
/// </code>
/// The MAC is HMAC-SHA256 over every preceding byte, truncated to 128 bits (RFC 2104 section 5 allows truncation to
/// half the hash length; 128 bits keeps SMS links short and is far beyond forging). Comparison is constant-time.
/// The payload is signed, not encrypted: the tenant id and campaign id are readable, nothing about the patient is.
/// </summary>
public sealed class UnsubscribeTokens
{
    public const byte Version1 = 1;
    public const int MacBytes = 16;
    public const int MaxTenantBytes = 200;
    public const int MaxCampaignBytes = 200;

    /// <summary>Links must keep working for at least a year (DOMAIN.md); 400 days leaves margin for late readers.</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(400);

    /// <summary>A token "issued" slightly in the future is clock skew between gateway instances, not forgery.</summary>
    public static readonly TimeSpan AllowedClockSkew = TimeSpan.FromMinutes(5);

    private const int MaxTokenBytes = 1 + 1 + UnsubscribeKeyRing.MaxKeyIdLength + 1 + MaxTenantBytes + SubscriberReference.Bytes
        + 3 + 1 + MaxCampaignBytes + 8 + MacBytes;

    private readonly UnsubscribeKeyRing _keys;

    public UnsubscribeTokens(UnsubscribeKeyRing keys, TimeSpan? validity = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys;
        Validity = validity ?? DefaultValidity;
        if (Validity < TimeSpan.FromDays(365))
        {
            throw new ArgumentOutOfRangeException(nameof(validity), "Unsubscribe links must stay valid at least 12 months");
        }
    }

    public TimeSpan Validity { get; }

    public string ActiveKeyId => _keys.ActiveKeyId;

    /// <summary>Signs a token with the active key (its id travels in the token so rotation keeps old links valid).</summary>
    public string Issue(string tenantId, string subscriberRef, Channel channel, UnsubscribeScope scope,
        UnsubscribeLocale locale, string? campaignId, DateTimeOffset issuedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(subscriberRef);
        var tenant = Encoding.UTF8.GetBytes(tenantId);
        var campaign = string.IsNullOrEmpty(campaignId) ? [] : Encoding.UTF8.GetBytes(campaignId);
        var keyId = Encoding.ASCII.GetBytes(_keys.ActiveKeyId);
        var reference = Convert.FromHexString(subscriberRef);
        if (tenant.Length > MaxTenantBytes || campaign.Length > MaxCampaignBytes)
        {
            throw new ArgumentException("Tenant or campaign id too long for an unsubscribe token");
        }

        if (reference.Length != SubscriberReference.Bytes)
        {
            throw new ArgumentException($"A subscriber reference is {SubscriberReference.Bytes} bytes", nameof(subscriberRef));
        }

        if (!Enum.IsDefined(channel) || channel == Channel.Unknown || !Enum.IsDefined(scope) || !Enum.IsDefined(locale))
        {
            throw new ArgumentException("Channel, scope and locale must be known values");
        }

        var buffer = new byte[1 + 1 + keyId.Length + 1 + tenant.Length + reference.Length + 3 + 1 + campaign.Length + 8 + MacBytes];
        var span = buffer.AsSpan();
        var at = 0;
        span[at++] = Version1;
        at = WriteShort(span, at, keyId);
        at = WriteShort(span, at, tenant);
        reference.CopyTo(span[at..]);
        at += reference.Length;
        span[at++] = (byte)channel;
        span[at++] = (byte)scope;
        span[at++] = (byte)locale;
        at = WriteShort(span, at, campaign);
        BinaryPrimitives.WriteInt64BigEndian(span[at..], issuedAt.ToUnixTimeSeconds());
        at += 8;
        Mac(_keys.ActiveSecret, span[..at], span[at..]);
        return Base64Url.EncodeToString(buffer);
    }

    /// <summary>Refuses truncated, altered, unknown-key, expired and future tokens with a reason; never throws on input.</summary>
    public TokenVerification Verify(string? token, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(token) || token.Length > Base64Url.GetEncodedLength(MaxTokenBytes))
        {
            return TokenVerification.Refused(TokenRejection.Malformed);
        }

        var bytes = new byte[Base64Url.GetMaxDecodedLength(token.Length)];
        if (!Base64Url.IsValid(token) || !Base64Url.TryDecodeFromChars(token, bytes, out var written))
        {
            return TokenVerification.Refused(TokenRejection.Malformed);
        }

        // Base64url has several spellings of the same bytes (unused trailing bits): accept only the canonical one,
        // so one token has one URL (and the page's links cannot be "varied" to dodge de-duplication).
        if (!string.Equals(Base64Url.EncodeToString(bytes.AsSpan(0, written)), token, StringComparison.Ordinal))
        {
            return TokenVerification.Refused(TokenRejection.Malformed);
        }

        return Verify(bytes.AsSpan(0, written), now);
    }

    private TokenVerification Verify(ReadOnlySpan<byte> data, DateTimeOffset now)
    {
        if (data.Length < 1 + MacBytes)
        {
            return TokenVerification.Refused(TokenRejection.Malformed);
        }

        if (data[0] != Version1)
        {
            return TokenVerification.Refused(TokenRejection.UnsupportedVersion);
        }

        var at = 1;
        if (!TryReadShort(data, ref at, 1, UnsubscribeKeyRing.MaxKeyIdLength, out var keyIdBytes)
            || !TryReadShort(data, ref at, 1, MaxTenantBytes, out var tenantBytes)
            || data.Length - at < SubscriberReference.Bytes + 3)
        {
            return TokenVerification.Refused(TokenRejection.Malformed);
        }

        var reference = data.Slice(at, SubscriberReference.Bytes);
        at += SubscriberReference.Bytes;
        var channel = (Channel)data[at++];
        var scope = (UnsubscribeScope)data[at++];
        var locale = (UnsubscribeLocale)data[at++];
        if (!TryReadShort(data, ref at, 0, MaxCampaignBytes, out var campaignBytes) || data.Length - at != 8 + MacBytes)
        {
            return TokenVerification.Refused(TokenRejection.Malformed);
        }

        var issuedAtSeconds = BinaryPrimitives.ReadInt64BigEndian(data.Slice(at, 8));
        at += 8;

        string keyId;
        try
        {
            keyId = Encoding.ASCII.GetString(keyIdBytes);
        }
        catch (ArgumentException)
        {
            return TokenVerification.Refused(TokenRejection.Malformed);
        }

        if (!_keys.TryGetSecret(keyId, out var secret))
        {
            return TokenVerification.Refused(TokenRejection.UnknownKey);
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(secret, data[..at], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, data[at..]))
        {
            return TokenVerification.Refused(TokenRejection.BadSignature);
        }

        // Authentic from here on: range checks below guard against our own bugs or a future format, not forgers.
        if (!Enum.IsDefined(channel) || channel == Channel.Unknown || !Enum.IsDefined(scope) || !Enum.IsDefined(locale)
            || issuedAtSeconds < 0 || issuedAtSeconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return TokenVerification.Refused(TokenRejection.Malformed);
        }

        string tenant, campaign;
        try
        {
            var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            tenant = strict.GetString(tenantBytes);
            campaign = strict.GetString(campaignBytes);
        }
        catch (DecoderFallbackException)
        {
            return TokenVerification.Refused(TokenRejection.Malformed);
        }

        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(issuedAtSeconds);
        if (issuedAt > now + AllowedClockSkew)
        {
            return TokenVerification.Refused(TokenRejection.NotYetValid);
        }

        var claims = new UnsubscribeClaims(
            tenant, Convert.ToHexStringLower(reference), channel, scope, locale,
            campaign.Length == 0 ? null : campaign, issuedAt, keyId);
        if (now - issuedAt > Validity)
        {
            return TokenVerification.Refused(TokenRejection.Expired) with { ExpiredClaims = claims };
        }

        return TokenVerification.Valid(claims);
    }

    private static void Mac(byte[] secret, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, payload, full);
        full[..MacBytes].CopyTo(destination);
    }

    private static int WriteShort(Span<byte> span, int at, byte[] value)
    {
        span[at++] = checked((byte)value.Length);
        value.CopyTo(span[at..]);
        return at + value.Length;
    }

    private static bool TryReadShort(ReadOnlySpan<byte> data, ref int at, int min, int max, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (at >= data.Length)
        {
            return false;
        }

        int length = data[at];
        if (length < min || length > max || data.Length - at - 1 < length)
        {
            return false;
        }

        value = data.Slice(at + 1, length);
        at += 1 + length;
        return true;
    }
}

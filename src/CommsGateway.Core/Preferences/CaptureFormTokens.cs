using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Preferences;

/// <summary>What a capture-form link says: the clinic, the patient's opaque reference, the form's language, when it was issued.</summary>
public sealed record CaptureFormClaims(string TenantId, string SubscriberRef, UnsubscribeLocale Locale, DateTimeOffset IssuedAt);

/// <summary>
/// The token of a clinic's hosted consent form for one patient (a link the clinic sends, or opens on a tablet at the
/// desk): version | tenant | subscriber reference | locale | issued at | HMAC-SHA256 (128 bits), base64url. Signed
/// with its own domain prefix, so it is never an unsubscribe token nor a confirmation code. Valid for
/// <see cref="Validity"/>: a consent form is filled in soon after it is handed over.
/// </summary>
public static class CaptureFormTokens
{
    public const byte Version1 = 1;
    public static readonly TimeSpan Validity = TimeSpan.FromDays(30);
    private const int MacBytes = 16;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("commsgw-capture-form\0");

    public static string Issue(ReadOnlySpan<byte> key, string tenantId, string subscriberRef, UnsubscribeLocale locale, DateTimeOffset issuedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        var tenant = Encoding.UTF8.GetBytes(tenantId);
        var reference = Convert.FromHexString(subscriberRef);
        if (tenant.Length > UnsubscribeTokens.MaxTenantBytes || reference.Length != SubscriberReference.Bytes)
        {
            throw new ArgumentException("Tenant id too long or subscriber reference malformed");
        }

        var buffer = new byte[1 + 1 + tenant.Length + reference.Length + 1 + 8 + MacBytes];
        var at = 0;
        buffer[at++] = Version1;
        buffer[at++] = (byte)tenant.Length;
        tenant.CopyTo(buffer, at);
        at += tenant.Length;
        reference.CopyTo(buffer, at);
        at += reference.Length;
        buffer[at++] = (byte)locale;
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(at), issuedAt.ToUnixTimeSeconds());
        at += 8;
        Mac(key, buffer.AsSpan(0, at), buffer.AsSpan(at));
        return Base64Url.EncodeToString(buffer);
    }

    /// <summary>The claims of an authentic, unexpired token; null for anything else (never throws on input).</summary>
    public static CaptureFormClaims? Verify(ReadOnlySpan<byte> key, string? token, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 400 || !Base64Url.IsValid(token))
        {
            return null;
        }

        var data = new byte[Base64Url.GetMaxDecodedLength(token.Length)];
        if (!Base64Url.TryDecodeFromChars(token, data, out var written) || written < 2 || data[0] != Version1)
        {
            return null;
        }

        var tenantLength = data[1];
        var macAt = 2 + tenantLength + SubscriberReference.Bytes + 1 + 8;
        if (tenantLength == 0 || written != macAt + MacBytes)
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(key, data.AsSpan(0, macAt), expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, data.AsSpan(macAt, MacBytes)))
        {
            return null;
        }

        string tenant;
        try
        {
            tenant = new UTF8Encoding(false, true).GetString(data, 2, tenantLength);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        var reference = Convert.ToHexStringLower(data.AsSpan(2 + tenantLength, SubscriberReference.Bytes));
        var locale = (UnsubscribeLocale)data[2 + tenantLength + SubscriberReference.Bytes];
        var seconds = BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(macAt - 8, 8));
        if (!Enum.IsDefined(locale) || seconds < 0 || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return null;
        }

        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return issuedAt > now + UnsubscribeTokens.AllowedClockSkew || now - issuedAt > Validity
            ? null
            : new CaptureFormClaims(tenant, reference, locale, issuedAt);
    }

    /// <summary>
    /// The form's own antiforgery value: a MAC of the token and the time the form was shown. The form is embedded in
    /// clinics' sites, where the browser withholds our cookies from the frame, so it cannot rely on a cookie.
    /// </summary>
    public static string FormMac(ReadOnlySpan<byte> key, string token, long shownAtSeconds)
    {
        var input = Encoding.UTF8.GetBytes("form\0" + token + "\0" + shownAtSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Span<byte> mac = stackalloc byte[MacBytes];
        Mac(key, input, mac);
        return Base64Url.EncodeToString(mac);
    }

    private static void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        var input = new byte[Domain.Length + payload.Length];
        Domain.CopyTo(input, 0);
        payload.CopyTo(input.AsSpan(Domain.Length));
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, input, full);
        full[..MacBytes].CopyTo(destination);
    }
}

using System.Globalization;
using System.Net.Mail;
using PhoneNumbers;

namespace CommsGateway.Core.Contacts;

/// <summary>The outcome of normalising one address: the normalised value, or why it was refused.</summary>
public readonly record struct NormalizedAddress(string? Value, string? Error)
{
    public bool Ok => Error is null;

    public static NormalizedAddress Empty => new(null, null);
}

/// <summary>
/// Addresses are stored normalised (E.164 phones, lower-case emails) so that misdirection checks compare like
/// with like and a suppression's hash matches whatever notation the address later arrives in.
/// </summary>
public static class AddressNormalizer
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>Any common notation ("06 12 34 56 78", "+33 6 12...", "0033...") to E.164; national numbers use <paramref name="defaultRegion"/>.</summary>
    public static NormalizedAddress Phone(string? raw, string defaultRegion = "FR")
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return NormalizedAddress.Empty;
        }

        var region = string.IsNullOrWhiteSpace(defaultRegion) ? "FR" : defaultRegion.Trim().ToUpperInvariant();
        PhoneNumber number;
        try
        {
            number = Phones.Parse(raw.Trim(), region);
        }
        catch (NumberParseException ex)
        {
            return new(null, ex.ErrorType switch
            {
                ErrorType.INVALID_COUNTRY_CODE => $"phone number has no valid country code (national numbers are read as {region})",
                ErrorType.NOT_A_NUMBER => "phone number is not a number",
                ErrorType.TOO_SHORT_NSN or ErrorType.TOO_SHORT_AFTER_IDD => "phone number is too short",
                ErrorType.TOO_LONG => "phone number is too long",
                _ => "phone number does not parse",
            });
        }

        if (!Phones.IsValidNumber(number))
        {
            // Written with its country code (+44 ..., 0044 ...), the number names its own country: the clinic's
            // region has no say. Accept it when it has a possible length for that country (the metadata lags new
            // ranges abroad, and the provider is the judge of deliverability); a national number must be valid.
            var international = raw.TrimStart().StartsWith('+') || raw.TrimStart().StartsWith("00", StringComparison.Ordinal);
            var country = Phones.GetRegionCodeForCountryCode(number.CountryCode);
            if (international && Phones.IsPossibleNumber(number))
            {
                return new(Phones.Format(number, PhoneNumberFormat.E164), null);
            }

            return new(null, international
                ? $"phone number is not a possible number for +{number.CountryCode.ToString(CultureInfo.InvariantCulture)} ({country})"
                : $"phone number is not a valid number for {region} (write a foreign number with its country code, e.g. +44 ...)");
        }

        return new(Phones.Format(number, PhoneNumberFormat.E164), null);
    }

    /// <summary>Syntax check only (RFC 5321 address form, a dotted domain); deliverability is the provider's business.</summary>
    public static NormalizedAddress Email(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return NormalizedAddress.Empty;
        }

        var trimmed = raw.Trim();
        if (trimmed.Length > 254 || trimmed.Any(char.IsWhiteSpace) || trimmed.Count(c => c == '@') != 1
            || !MailAddress.TryCreate(trimmed, out var parsed) || parsed.Address != trimmed || !string.IsNullOrEmpty(parsed.DisplayName))
        {
            return new(null, "email address is not valid");
        }

        var at = trimmed.IndexOf('@', StringComparison.Ordinal);
        var domain = trimmed[(at + 1)..];
        if (at == 0 || at > 64 || !domain.Contains('.', StringComparison.Ordinal) || domain.StartsWith('.') || domain.EndsWith('.')
            || domain.Contains("..", StringComparison.Ordinal))
        {
            return new(null, "email address is not valid");
        }

        // Lower-cased whole: providers treat local parts case-insensitively in practice, and one canonical
        // form is what lets a suppression hash match the same mailbox written differently.
        return new(trimmed.ToLower(CultureInfo.InvariantCulture), null);
    }
}

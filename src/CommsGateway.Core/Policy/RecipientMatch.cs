using CommsGateway.Contracts;

namespace CommsGateway.Core.Policy;

/// <summary>
/// Misdirection guard: a producer-supplied address must be the patient's recorded one. Comparison is
/// deliberately strict (notation-insensitive only): a false block costs a resend, a false match is a breach.
/// </summary>
public static class RecipientMatch
{
    public static bool Same(Channel channel, string supplied, string recorded) =>
        channel == Channel.Email
            ? string.Equals(supplied.Trim(), recorded.Trim(), StringComparison.OrdinalIgnoreCase)
            : string.Equals(PhoneKey(supplied), PhoneKey(recorded), StringComparison.Ordinal);

    /// <summary>"+33 6 12-34.56 78", "whatsapp:+33612345678" and "0033612345678" all become "+33612345678".</summary>
    internal static string PhoneKey(string value)
    {
        var text = value.Trim();
        if (text.StartsWith("whatsapp:", StringComparison.OrdinalIgnoreCase))
        {
            text = text["whatsapp:".Length..];
        }

        var digits = new string(text.Where(char.IsAsciiDigit).ToArray());
        if (text.StartsWith('+'))
        {
            return "+" + digits;
        }

        return digits.StartsWith("00", StringComparison.Ordinal) ? "+" + digits[2..] : digits;
    }
}

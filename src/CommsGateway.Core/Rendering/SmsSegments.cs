namespace CommsGateway.Core.Rendering;

public enum SmsEncoding
{
    Gsm7,
    Ucs2,
}

/// <summary>How an SMS body travels: its encoding, its length in encoding units, and the segments it takes.</summary>
public sealed record SmsSegmentCount(SmsEncoding Encoding, int Units, int Segments)
{
    /// <summary>Units one segment carries on its own (160 septets / 70 UCS-2 code units).</summary>
    public int SingleSegmentCapacity => Encoding == SmsEncoding.Gsm7 ? SmsSegments.Gsm7Single : SmsSegments.Ucs2Single;
}

/// <summary>
/// Counts SMS segments (3GPP TS 23.038 / 23.040): GSM-7 when every character is in the default alphabet or its
/// extension table (extension characters take two septets: escape + char), else UCS-2 (UTF-16 code units).
/// One segment carries 160 septets / 70 units; a concatenated one 153 / 67 (the UDH takes the rest), and an escape
/// pair or a surrogate pair is never split across two segments.
/// </summary>
public static class SmsSegments
{
    public const int Gsm7Single = 160;
    public const int Gsm7Multi = 153;
    public const int Ucs2Single = 70;
    public const int Ucs2Multi = 67;

    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Extension = "\f^{}\\[~]|€";

    private static readonly HashSet<char> BasicSet = [.. Basic];
    private static readonly HashSet<char> ExtensionSet = [.. Extension];

    public static bool IsGsm7(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var c in text)
        {
            if (!BasicSet.Contains(c) && !ExtensionSet.Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    public static SmsSegmentCount Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsGsm7(text))
        {
            return Pack(text, SmsEncoding.Gsm7, Gsm7Single, Gsm7Multi, c => ExtensionSet.Contains(c) ? 2 : 1);
        }

        return Pack(text, SmsEncoding.Ucs2, Ucs2Single, Ucs2Multi, _ => 1);
    }

    private static SmsSegmentCount Pack(string text, SmsEncoding encoding, int single, int multi, Func<char, int> unitsOf)
    {
        var total = 0;
        for (var i = 0; i < text.Length; i++)
        {
            total += unitsOf(text[i]);
        }

        if (total == 0)
        {
            return new SmsSegmentCount(encoding, 0, 0);
        }

        if (total <= single)
        {
            return new SmsSegmentCount(encoding, total, 1);
        }

        // Fill concatenated segments in order: an indivisible unit (escape pair, surrogate pair) that does not fit
        // in what is left of a segment starts the next one.
        var segments = 1;
        var used = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var units = unitsOf(text[i]);
            if (encoding == SmsEncoding.Ucs2 && char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                units = 2;
                i++;
            }

            if (used + units > multi)
            {
                segments++;
                used = 0;
            }

            used += units;
        }

        return new SmsSegmentCount(encoding, total, segments);
    }
}

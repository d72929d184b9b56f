using System.Globalization;
using System.Text;

namespace CommsGateway.Core.Validation;

/// <summary>
/// Characters an identifier (tenant, patient, intent, campaign) may not hold: control characters, bidirectional
/// overrides and isolates (U+202E makes "p-1‮txt.exe" read differently in every log and report), zero-width
/// characters and other invisible format characters. Two ids that look the same must be the same id.
/// </summary>
public static class Identifiers
{
    /// <summary>The first forbidden character, as "U+XXXX", or null when the identifier is clean.</summary>
    public static string? FirstForbidden(string? value)
    {
        if (value is null)
        {
            return null;
        }

        foreach (var rune in value.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                    or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse
                    or UnicodeCategory.OtherNotAssigned
                || rune.Value is 0x034F or 0x115F or 0x1160 or 0x3164 or 0xFFA0 or (>= 0xFE00 and <= 0xFE0F))
            {
                return $"U+{rune.Value:X4}";
            }
        }

        return null;
    }
}

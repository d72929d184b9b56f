using System.Collections.Frozen;

namespace CommsGateway.Contracts;

/// <summary>
/// The one spelling of an enum value outside the process: its name in lower case ("sms", "whatsapp", "marketing"),
/// as producers write it in JSON and as the database stores it. Names are computed once per enum type, so the hot
/// paths (one decision row holds three) do not allocate.
/// </summary>
public static class WireNames
{
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum =>
        Names<TEnum>.Known.TryGetValue(value, out var name) ? name : Lower(value);

    private static string Lower<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    private static class Names<TEnum> where TEnum : struct, Enum
    {
        public static readonly FrozenDictionary<TEnum, string> Known = Enum.GetValues<TEnum>().Distinct().ToFrozenDictionary(v => v, Lower);
    }
}

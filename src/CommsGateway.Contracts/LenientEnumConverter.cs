using System.Text.Json;
using System.Text.Json.Serialization;

namespace CommsGateway.Contracts;

/// <summary>
/// Reads an enum from its name in any case ("sms", "SMS", "whatsapp") and maps anything
/// unknown to the enum's zero value, so a bad value becomes a validation error with a clear
/// reason (and a Rejected decision) instead of a deserialization fault that loses the intent.
/// Writes <see cref="WireNames"/>, the lower-case form plain-JSON producers use.
/// </summary>
public sealed class LenientEnumConverter<TEnum> : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                var text = reader.GetString();
                return Enum.TryParse<TEnum>(text, ignoreCase: true, out var value)
                       && !int.TryParse(text, out _)
                       && Enum.IsDefined(value)
                    ? value
                    : default;
            case JsonTokenType.Number when reader.TryGetInt32(out var number):
                var candidate = (TEnum)Enum.ToObject(typeof(TEnum), number);
                return Enum.IsDefined(candidate) ? candidate : default;
            default:
                reader.Skip();
                return default;
        }
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(WireNames.Of(value));
    }
}

using System.Buffers;
using System.Text;
using System.Text.Json;
using CommsGateway.Contracts;
using MassTransit.Serialization;

namespace CommsGateway.Features.Intents;

/// <summary>
/// Reads a message body the consumer could not take (plain JSON, or MassTransit's envelope with the intent under
/// <c>message</c>) with the serializer options MassTransit's JSON deserializers use, and says why it cannot when it
/// cannot: not JSON at all, or the JSON path of the value whose type is wrong.
/// </summary>
internal static class IntentReader
{
    /// <summary>What could be read of the ids, even from an intent that does not deserialize.</summary>
    internal sealed record Ids(string? IntentId, string? TenantId, string? PatientId);

    /// <summary>
    /// <see cref="Intent"/> when the body is a readable intent; else <see cref="Field"/> names the field of the wrong
    /// type, or both are null when the body is not a JSON object.
    /// </summary>
    internal sealed record Result(MessageIntent? Intent, string? Field, string? Error, Ids Ids);

    private static readonly Ids NoIds = new(null, null, null);

    public static Result Read(ReadOnlySpan<byte> body)
    {
        // The JSON parser checks the structure, not the UTF-8 inside strings: a string would throw only once read.
        if (InvalidUtf8At(body) is { } at)
        {
            return new Result(null, null, $"the body is not valid UTF-8 (byte {at})", NoIds);
        }

        JsonElement root;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            return new Result(null, null, ex.Message, NoIds);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return new Result(null, null, $"a JSON {root.ValueKind} where an object was expected", NoIds);
        }

        if (root.TryGetProperty("message", out var inner) && inner.ValueKind == JsonValueKind.Object
            && (root.TryGetProperty("messageType", out _) || root.TryGetProperty("messageId", out _)))
        {
            root = inner; // MassTransit envelope
        }

        var ids = new Ids(Text(root, "intentId"), Text(root, "tenantId"), Text(root, "patientId"));
        try
        {
            var intent = root.Deserialize<MessageIntent>(SystemTextJsonMessageSerializer.Options);
            return intent is null ? new Result(null, null, "null message", ids) : new Result(intent, null, null, ids);
        }
        catch (JsonException ex)
        {
            return new Result(null, FieldOf(ex.Path), ex.Message, ids);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException or NotSupportedException)
        {
            return new Result(null, FieldOf(null), ex.Message, ids);
        }
    }

    /// <summary>The offset of the first byte that does not decode as UTF-8; null when all do.</summary>
    internal static int? InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return null;
        }

        var offset = 0;
        while (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) == OperationStatus.Done)
        {
            offset += consumed;
        }

        return offset;
    }

    /// <summary>"$.body" → "body", "$.blocks[0].kind" → "blocks[0].kind"; the whole message when no path is known.</summary>
    internal static string FieldOf(string? path) =>
        path is { Length: > 2 } && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "message";

    private static string? Text(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
            {
                return property.Value.GetString();
            }
        }

        return null;
    }
}

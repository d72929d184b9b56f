using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CommsGateway.Contracts;
using CommsGateway.Core.Classification;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// `commsgw classify`: JSON Lines in on stdin (id, channel, subject, body; optional html, declared, lang;
/// other fields ignored), one JSON line out per message, in order:
/// {"id":..., "purpose":"marketing"|"service"|"review", "score":p, "sentence":..., "reasons":[...], "ruleScore":n, "signals":[...]}
/// where score is the model's probability of marketing and reasons are plain words. A line that cannot be read
/// gets {"id":..., "error":"..."} and the run goes on. Same classifier as the gateway; the declared
/// purpose is read but never used, exactly as in the gateway.
/// `commsgw classify train` rebuilds data/classifier/model.bin from the corpus; `commsgw classify evaluate` prints
/// the cross-validation, independent-author and held-out figures.
/// </summary>
internal static class ClassifyCommand
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var command = new Command("classify", "Classify messages read as JSON Lines on stdin; write one JSON line per message to stdout");
        command.SetAction(async (_, ct) =>
        {
            using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
            await using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
            var errors = await RunAsync(input, output, new ContentClassifier(), ct);
            return errors == 0 ? 0 : 1;
        });
        command.Subcommands.Add(ClassifyModelCommands.Train());
        command.Subcommands.Add(ClassifyModelCommands.Evaluate());
        return command;
    }

    /// <summary>Classifies every line of <paramref name="input"/>; returns how many lines were errors. Blank lines are skipped.</summary>
    public static async Task<int> RunAsync(TextReader input, TextWriter output, ContentClassifier classifier, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(classifier);
        var errors = 0;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        while (await input.ReadLineAsync(ct) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                if (!ClassifyLine(line, classifier, writer))
                {
                    errors++;
                }
            }

            await output.WriteLineAsync(Encoding.UTF8.GetString(buffer.WrittenSpan).AsMemory(), ct);
            await output.FlushAsync(ct);
        }

        return errors;
    }

    private static bool ClassifyLine(string line, ContentClassifier classifier, Utf8JsonWriter writer)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            using var salvaged = SalvageId(line);
            WriteError(writer, salvaged?.RootElement ?? default, $"not valid JSON: {ex.Message}");
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                WriteError(writer, default, "each line must be a JSON object");
                return false;
            }

            var id = root.TryGetProperty("id", out var idValue) ? idValue : default;
            if (id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                WriteError(writer, id, "id is required (string or number)");
                return false;
            }

            if (!TryText(root, "body", required: true, out var body, out var problem)
                || !TryText(root, "subject", required: false, out var subject, out problem)
                || !TryText(root, "html", required: false, out var html, out problem)
                || !TryText(root, "lang", required: false, out var lang, out problem)
                || !TryText(root, "channel", required: true, out var channelName, out problem))
            {
                WriteError(writer, id, problem!);
                return false;
            }

            if (!Enum.TryParse<Channel>(channelName, ignoreCase: true, out var channel) || channel == Channel.Unknown || int.TryParse(channelName, out _))
            {
                WriteError(writer, id, $"unknown channel '{channelName}' (email, sms or whatsapp)");
                return false;
            }

            var result = classifier.Classify(subject, body, html, null, channel, lang);
            writer.WriteStartObject();
            writer.WritePropertyName("id");
            id.WriteTo(writer);
            writer.WriteString("purpose", result.Verdict switch { ContentVerdict.Marketing => "marketing", ContentVerdict.Review => "review", _ => "service" });
            writer.WriteNumber("score", result.Probability);
            if (result.Sentence is null)
            {
                writer.WriteNull("sentence");
            }
            else
            {
                writer.WriteString("sentence", result.Sentence);
            }

            writer.WriteStartArray("reasons");
            foreach (var reason in result.Reasons)
            {
                writer.WriteStringValue(reason);
            }

            writer.WriteEndArray();
            writer.WriteNumber("ruleScore", result.Score);
            writer.WriteStartArray("signals");
            foreach (var signal in result.Signals)
            {
                writer.WriteStringValue(signal);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            return true;
        }
    }

    /// <summary>Reads a broken line as far as it goes, so its error still names the message when the id came before the damage.</summary>
    private static JsonDocument? SalvageId(string line)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(line), isFinalBlock: false, state: default);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("id")
                    && reader.Read() && reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
                {
                    return JsonDocument.Parse(reader.ValueSpan.ToArray() is var raw && reader.TokenType == JsonTokenType.String
                        ? JsonSerializer.SerializeToUtf8Bytes(reader.GetString())
                        : raw);
                }
            }
        }
        catch (JsonException)
        {
            // The damage came before any id.
        }

        return null;
    }

    private static bool TryText(JsonElement root, string name, bool required, out string? value, out string? problem)
    {
        value = null;
        problem = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            problem = required ? $"{name} is required" : null;
            return !required;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            problem = $"{name} must be a string";
            return false;
        }

        value = element.GetString();
        return true;
    }

    private static void WriteError(Utf8JsonWriter writer, JsonElement id, string error)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("id");
        if (id.ValueKind is JsonValueKind.String or JsonValueKind.Number)
        {
            id.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteString("error", error);
        writer.WriteEndObject();
    }
}

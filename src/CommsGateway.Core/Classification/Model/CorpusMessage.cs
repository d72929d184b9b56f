using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CommsGateway.Core.Classification.Model;

/// <summary>One labelled message of the classifier corpus (data/classifier/*.jsonl).</summary>
public sealed record CorpusMessage(string Id, string Family, string Lang, string Channel, string? Subject, string Body, bool IsMarketing, string Source)
{
    public string? Kind { get; init; }

    public string? Note { get; init; }
}

/// <summary>A corpus file by name (e.g. "corpus-en.jsonl") and its text: the CLI and the tests read the files, Core parses them.</summary>
public sealed record CorpusFile(string Name, string Text)
{
    /// <summary>Never trained on: scored as held-out data only.</summary>
    public bool IsHeldOut => Name.StartsWith("heldout-", StringComparison.Ordinal);

    /// <summary>Written by other people than the project's own corpus: the independent-author estimate scores a model trained without it.</summary>
    public bool IsIndependent => Name.StartsWith("shared-", StringComparison.Ordinal);

    public IReadOnlyList<CorpusMessage> Parse()
    {
        var messages = new List<CorpusMessage>();
        var number = 0;
        foreach (var raw in Text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var id = Required(root, "id");
                var label = Required(root, "label");
                if (label is not ("service" or "marketing"))
                {
                    throw new InvalidDataException($"label '{label}' is neither service nor marketing");
                }

                messages.Add(new CorpusMessage(
                    id,
                    Optional(root, "family") ?? id,
                    Optional(root, "lang") ?? "",
                    Optional(root, "channel") ?? "",
                    Optional(root, "subject"),
                    Required(root, "body"),
                    label == "marketing",
                    Name)
                {
                    Kind = Optional(root, "kind"),
                    Note = Optional(root, "note"),
                });
            }
            catch (Exception ex) when (ex is JsonException or InvalidDataException or KeyNotFoundException)
            {
                throw new InvalidDataException($"{Name}:{number}: {ex.Message}", ex);
            }
        }

        return messages;
    }

    /// <summary>SHA-256 over the files in name order (name, newline, text), recorded in the model it trains.</summary>
    public static byte[] Sha256(IEnumerable<CorpusFile> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file.Name + "\n"));
            hash.AppendData(Encoding.UTF8.GetBytes(file.Text.Replace("\r\n", "\n", StringComparison.Ordinal)));
        }

        return hash.GetHashAndReset();
    }

    private static string Required(JsonElement root, string name) =>
        Optional(root, name) ?? throw new KeyNotFoundException($"{name} is required");

    private static string? Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

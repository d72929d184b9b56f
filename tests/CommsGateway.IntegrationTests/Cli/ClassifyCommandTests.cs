extern alias cli;

using System.Text.Json;
using CommsGateway.Core.Classification;
using CommsGateway.Core.Classification.Model;
using ClassifyCommand = cli::CommsGateway.Cli.Commands.ClassifyCommand;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>`commsgw classify` over a stream: JSON Lines in, one JSON line out per message, in order, bad lines reported.</summary>
public sealed class ClassifyCommandTests
{
    private static async Task<(List<JsonElement> Lines, int Errors)> RunAsync(string input, ContentClassifier? classifier = null)
    {
        using var reader = new StringReader(input);
        await using var writer = new StringWriter();
        var errors = await ClassifyCommand.RunAsync(reader, writer, classifier ?? new ContentClassifier(), CancellationToken.None);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return (lines, errors);
    }

    [Fact]
    public async Task Should_answer_each_line_in_order_and_carry_on_after_a_bad_line()
    {
        var input = string.Join('\n',
            """{"id":"a","channel":"sms","subject":"","body":"Rappel : RDV demain 10h30 avec le Dr Martin.","declared":"marketing","clinic":"ignored"}""",
            """{"id":"b","channel":"sms","body":"Flash sale: 30% off all peels this week. Book now! Reply STOP to opt out","declared":"service"}""",
            """{"id":"c","channel":"email","subject":"Hi", "body": unterminated""",
            """{"id":42,"channel":"fax","body":"hello"}""",
            """{"id":"e","channel":"email","subject":"Votre reçu","body":"Total payé : 72,25 €","html":"<p>Total pay&eacute; : 72,25&nbsp;&euro;</p>","lang":"fr"}""",
            """{"channel":"sms","body":"no id"}""",
            """{"id":"g","channel":"whatsapp","subject":null,"body":"Nouveau au cabinet : ateliers de Pilates le jeudi, inscriptions à l'accueil !"}""");

        var (lines, errors) = await RunAsync(input + "\n");

        Assert.Equal(7, lines.Count);
        Assert.Equal(3, errors);
        Assert.Equal(["a", "b", "c", "42", "e", "", "g"], lines.Select(l => l.GetProperty("id").ValueKind == JsonValueKind.Null ? "" : l.GetProperty("id").ToString()));

        Assert.Equal("service", lines[0].GetProperty("purpose").GetString());
        Assert.Equal("marketing", lines[1].GetProperty("purpose").GetString());
        Assert.True(lines[1].GetProperty("score").GetDouble() >= MarketingModel.Default.Thresholds.MarketingFrom);
        Assert.Equal("Flash sale: 30% off all peels this week.", lines[1].GetProperty("sentence").GetString());
        Assert.Contains(lines[1].GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("'Flash sale: 30% off all peels this week.'", StringComparison.Ordinal));
        Assert.Contains(lines[1].GetProperty("reasons").EnumerateArray(), r => r.GetString()!.StartsWith("Rule discount-offered: a discount or reduction offered", StringComparison.Ordinal));
        Assert.True(lines[1].GetProperty("ruleScore").GetDouble() >= ContentClassifier.MarketingThreshold);
        Assert.Contains(lines[1].GetProperty("signals").EnumerateArray(), r => r.GetString()!.StartsWith("discount-offered@body", StringComparison.Ordinal));
        Assert.StartsWith("not valid JSON", lines[2].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Number, lines[3].GetProperty("id").ValueKind);
        Assert.Contains("unknown channel", lines[3].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("service", lines[4].GetProperty("purpose").GetString());
        Assert.Contains("id is required", lines[5].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("marketing", lines[6].GetProperty("purpose").GetString());
    }

    [Fact]
    public async Task Should_give_the_same_verdict_as_the_gateway_classifier()
    {
        const string body = "Votre RDV est confirmé mardi. En mars, -20% sur le peeling si vous l'ajoutez à votre séance.";
        var (lines, _) = await RunAsync(JsonSerializer.Serialize(new { id = "x", channel = "sms", subject = "", body }));
        var direct = new ContentClassifier().Classify(new Contracts.MessageIntent { Channel = Contracts.Channel.Sms, Body = body });

        Assert.Equal(direct.Verdict.ToString().ToLowerInvariant(), lines[0].GetProperty("purpose").GetString());
        Assert.Equal(direct.Probability, lines[0].GetProperty("score").GetDouble());
        Assert.Equal(direct.Sentence, lines[0].GetProperty("sentence").GetString());
        Assert.Equal(direct.Reasons, lines[0].GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(direct.Score, lines[0].GetProperty("ruleScore").GetDouble());
        Assert.Equal(direct.Signals, lines[0].GetProperty("signals").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Should_answer_review_between_the_review_and_marketing_cut_offs()
    {
        // The shipped weights with cut-offs that put every probability in the review band.
        var unsure = new ContentClassifier(MarketingModel.Default.WithThresholds(new ModelThresholds(0.0, 1.1, RulePush.Review, RulePush.None)));
        var (lines, _) = await RunAsync(JsonSerializer.Serialize(new { id = "r", channel = "sms", body = "Rappel : RDV demain 10h30 avec le Dr Martin." }), unsure);

        Assert.Equal("review", lines[0].GetProperty("purpose").GetString());
        Assert.Equal("Rappel : RDV demain 10h30 avec le Dr Martin.", lines[0].GetProperty("sentence").GetString());
        Assert.Contains(lines[0].GetProperty("reasons").EnumerateArray(), r => r.GetString()!.StartsWith("The model is unsure", StringComparison.Ordinal));
    }
}

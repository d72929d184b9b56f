using System.Text.Json;
using CommsGateway.Contracts;

namespace CommsGateway.Core.Tests.Validation;

public sealed class LenientEnumTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Theory]
    [InlineData("\"sms\"", Channel.Sms)]
    [InlineData("\"SMS\"", Channel.Sms)]
    [InlineData("\"whatsapp\"", Channel.WhatsApp)]
    [InlineData("\"Email\"", Channel.Email)]
    [InlineData("\"fax\"", Channel.Unknown)]
    [InlineData("\"2\"", Channel.Unknown)]
    [InlineData("99", Channel.Unknown)]
    [InlineData("null", Channel.Unknown)]
    [InlineData("{}", Channel.Unknown)]
    public void Should_map_unknown_values_to_Unknown_instead_of_throwing(string json, Channel expected)
    {
        var intent = JsonSerializer.Deserialize<MessageIntent>($$"""{"channel":{{json}},"body":"x"}""", Web)!;
        Assert.Equal(expected, intent.Channel);
        Assert.Equal("x", intent.Body);
    }

    [Fact]
    public void Should_write_lower_case_names() =>
        Assert.Contains("\"channel\":\"whatsapp\"", JsonSerializer.Serialize(new MessageIntent { Channel = Channel.WhatsApp }, Web), StringComparison.Ordinal);
}

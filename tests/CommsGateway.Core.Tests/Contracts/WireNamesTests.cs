using System.Text.Json;
using CommsGateway.Contracts;

namespace CommsGateway.Core.Tests;

public sealed class WireNamesTests
{
    [Theory]
    [InlineData(Channel.Email, "email")]
    [InlineData(Channel.Sms, "sms")]
    [InlineData(Channel.WhatsApp, "whatsapp")]
    [InlineData(Channel.Unknown, "unknown")]
    public void Channels_are_their_lower_case_names(Channel channel, string expected) =>
        Assert.Equal(expected, WireNames.Of(channel));

    [Fact]
    public void Every_value_of_every_contract_enum_is_its_name_in_lower_case()
    {
        AssertAll<Channel>();
        AssertAll<Purpose>();
        AssertAll<DecisionOutcome>();

        static void AssertAll<TEnum>() where TEnum : struct, Enum
        {
            foreach (var value in Enum.GetValues<TEnum>())
            {
                Assert.Equal(value.ToString().ToLowerInvariant(), WireNames.Of(value));
            }
        }
    }

    [Fact]
    public void A_value_outside_the_enum_is_its_number()
    {
        Assert.Equal("42", WireNames.Of((Channel)42));
    }

    [Fact]
    public void The_json_converter_writes_the_wire_name_and_reads_it_back()
    {
        var json = JsonSerializer.Serialize(new[] { Channel.WhatsApp, Channel.Sms });
        Assert.Equal("""["whatsapp","sms"]""", json);
        Assert.Equal([Channel.WhatsApp, Channel.Sms], JsonSerializer.Deserialize<Channel[]>(json));
        Assert.Equal("\"marketing\"", JsonSerializer.Serialize(Purpose.Marketing));
    }
}

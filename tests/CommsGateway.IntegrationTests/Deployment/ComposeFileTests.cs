using System.Text.RegularExpressions;
using CommsGateway.IntegrationTests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace CommsGateway.IntegrationTests.Deployment;

/// <summary>
/// compose/docker-compose.yml as `docker compose` reads it: every secret the gateway needs is set from a required
/// variable (`${VAR:?message}`, so `up` stops naming it instead of a gateway refusing events or restarting in a loop),
/// and every variable it reads is in compose/.env.example.
/// </summary>
public sealed partial class ComposeFileTests
{
    /// <summary>Gateway settings that are secrets or keys: without each, a feature is refused or forgeable.</summary>
    private static readonly string[] SecretSettings =
    [
        "Database__ConnectionString", "RabbitMq__Password", "SendGrid__ApiKey", "SendGrid__EventWebhook__PublicKey",
        "Twilio__AccountSid", "Twilio__AuthToken", "Unsubscribe__Keys__0__Secret", "Unsubscribe__SubscriberKey", "Privacy__AddressHashKey",
    ];

    [GeneratedRegex(@"\$\{(?<name>[A-Z0-9_]+)(?<op>:\?|:-|\?|-)?(?<rest>[^}]*)\}")]
    private static partial Regex Variable();

    private static YamlMappingNode Services()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Repository.PathOf("compose", "docker-compose.yml"));
        yaml.Load(reader);
        return (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
    }

    private static Dictionary<string, string> Environment(string service) =>
        ((YamlMappingNode)((YamlMappingNode)Services()[service])["environment"]).Children
            .ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ((YamlScalarNode)c.Value).Value ?? "");

    private static HashSet<string> ExampleVariables() => [.. File.ReadAllLines(Repository.PathOf("compose", ".env.example"))
        .Where(l => !l.TrimStart().StartsWith('#') && l.Contains('=', StringComparison.Ordinal))
        .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)].Trim())];

    [Fact]
    public void Should_set_every_gateway_secret_from_a_required_variable_listed_in_the_env_example()
    {
        var gateway = Environment("gateway");
        var example = ExampleVariables();
        foreach (var setting in SecretSettings)
        {
            Assert.True(gateway.TryGetValue(setting, out var value), $"{setting} is not set for the gateway");
            var variables = Variable().Matches(value).ToList();
            Assert.True(variables.Count > 0, $"{setting} is not taken from a variable: {value}");
            foreach (Match variable in variables)
            {
                Assert.True(variable.Groups["op"].Value == ":?", $"{setting} reads ${{{variable.Groups["name"].Value}}} without ':?' (a missing secret must stop `compose up`)");
                Assert.Contains(variable.Groups["name"].Value, example);
            }
        }

        Assert.Contains("${COMMSGW_ADDRESS_HASH_KEY:?", gateway["Privacy__AddressHashKey"], StringComparison.Ordinal);
        Assert.Contains("${SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY:?", gateway["SendGrid__EventWebhook__PublicKey"], StringComparison.Ordinal);
    }

    [Fact]
    public void Should_list_in_the_env_example_every_variable_the_compose_file_reads_and_default_no_password()
    {
        var text = string.Join('\n', File.ReadAllLines(Repository.PathOf("compose", "docker-compose.yml")).Where(l => !l.TrimStart().StartsWith('#')));
        var example = ExampleVariables();
        var used = Variable().Matches(text).Select(m => (Name: m.Groups["name"].Value, Op: m.Groups["op"].Value)).ToList();

        Assert.NotEmpty(used);
        Assert.All(used, v => Assert.Contains(v.Name, example));
        // A default would start the servers with a password everyone knows.
        Assert.All(used.Where(v => v.Name.Contains("PASSWORD", StringComparison.Ordinal)), v => Assert.Equal(":?", v.Op));
        Assert.StartsWith("${COMMSGW_DB_PASSWORD:?", Environment("postgres")["POSTGRES_PASSWORD"], StringComparison.Ordinal);
    }
}

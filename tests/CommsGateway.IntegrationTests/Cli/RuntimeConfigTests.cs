using System.Text.Json;
using CommsGateway.IntegrationTests.Faults;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>
/// The runtime settings the built gateway starts with (its runtimeconfig.json), which its measured CPU per decision
/// rests on: server GC, no dynamic PGO, and thread-pool workers that sleep without spinning. Both entry points carry
/// them: `commsgw` (the CLI, whose `run` is the gateway) and CommsGateway.dll.
/// </summary>
public sealed class RuntimeConfigTests
{
    [Theory]
    [InlineData("commsgw")]
    [InlineData("CommsGateway")]
    public void Should_start_the_built_binary_with_server_gc_no_dynamic_pgo_and_no_worker_spinning(string assembly)
    {
        var config = Path.Combine(Path.GetDirectoryName(GatewayProcess.CliDll())!, assembly + ".runtimeconfig.json");
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.False(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}

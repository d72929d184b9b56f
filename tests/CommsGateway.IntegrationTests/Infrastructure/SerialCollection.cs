namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that need the process to themselves, on their own gateway: CLI commands whose console is captured, and
/// metric deltas (a MeterListener sees the "CommsGateway" meter of every gateway in the process). xUnit runs this
/// collection after the parallel ones, alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "serial";
}

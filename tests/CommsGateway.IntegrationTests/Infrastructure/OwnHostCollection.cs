namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that start gateways of their own (another environment, other settings) on their own database and vhost:
/// run alone, after the parallel collections, so their hosts do not add to the connections the shared ones hold.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OwnHostCollection
{
    public const string Name = "own-host";
}

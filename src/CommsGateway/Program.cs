using CommsGateway.Hosting;

var app = GatewayHost.Build(args);
await app.RunAsync();

/// <summary>Entry point; visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;

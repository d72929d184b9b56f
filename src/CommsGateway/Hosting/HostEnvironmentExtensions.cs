namespace CommsGateway.Hosting;

public static class HostEnvironmentExtensions
{
    /// <summary>The tests' environment name (WebApplicationFactory and the test hosts start in it).</summary>
    public const string Testing = "Testing";

    /// <summary>
    /// Development or Testing: the environments where the secrets committed in appsettings.json may sign and hash, and
    /// the dev outbox (patients' messages as sent) may be served. Anywhere else is a deployment.
    /// </summary>
    public static bool IsDevelopmentOrTesting(this IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.IsDevelopment() || environment.IsEnvironment(Testing);
    }
}

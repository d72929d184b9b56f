namespace CommsGateway.Cli;

/// <summary>
/// Where every verb reads the gateway's settings: the directory of commsgw's binary (the gateway's appsettings files
/// are copied there), whatever the working directory, then the environment's file, then environment variables:
/// the same layering as `commsgw run`.
/// </summary>
internal static class CliConfiguration
{
    public static string ContentRoot => AppContext.BaseDirectory;

    /// <summary>ASPNETCORE_ENVIRONMENT, then DOTNET_ENVIRONMENT, as the gateway's web host resolves it; else Production.</summary>
    public static string EnvironmentName =>
        NonEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT"))
        ?? NonEmpty(Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT"))
        ?? Environments.Production;

    public static IConfigurationRoot Build() => new ConfigurationBuilder()
        .SetBasePath(ContentRoot)
        .AddJsonFile("appsettings.json", optional: true)
        .AddJsonFile($"appsettings.{EnvironmentName}.json", optional: true)
        .AddEnvironmentVariables()
        .Build();

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>A setting the command needs is missing or refused: exit 78 (EX_CONFIG) with the message, no stack trace.</summary>
internal sealed class CliConfigurationException(string message) : Exception(message);

/// <summary>The operator asked for something the command refuses (bad file, missing confirmation): exit 1 with the message.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

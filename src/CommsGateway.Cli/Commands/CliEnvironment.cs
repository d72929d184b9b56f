using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// Where an admin command gets its services and writes its output: by default a fresh host on the gateway's settings
/// and the terminal; tests hand it a running gateway's services and captured writers, and drive the same parsing.
/// </summary>
internal sealed record CliEnvironment(IServiceProvider? Services, IAnsiConsole Console, TextWriter Out, TextWriter Error)
{
    public static CliEnvironment Terminal => new(null, AnsiConsole.Console, System.Console.Out, System.Console.Error);

    public Task<int> RunAsync(Func<IServiceProvider, Task<int>> body, CancellationToken ct) =>
        Services is { } services ? body(services) : CliHost.RunAsync(body, ct);

    /// <summary>As <see cref="RunAsync(Func{IServiceProvider, Task{int}}, CancellationToken)"/>; <paramref name="configure"/> adds the features a fresh host needs (a running gateway has them).</summary>
    public Task<int> RunAsync(Func<IServiceProvider, Task<int>> body, CancellationToken ct, Action<IHostApplicationBuilder> configure) =>
        Services is { } services ? body(services) : CliHost.RunAsync(body, ct, configure);
}

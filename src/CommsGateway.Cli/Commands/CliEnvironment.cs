using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// Where an admin command gets its services and writes its output: by default a fresh host on the gateway's settings
/// and the terminal; tests hand it a running gateway's services and captured writers, and drive the same parsing.
/// </summary>
internal sealed record CliEnvironment(IServiceProvider? Services, IAnsiConsole Console, TextWriter Out, TextWriter Error)
{
    public static CliEnvironment Terminal => new(null, AnsiConsole.Console, System.Console.Out, System.Console.Error)
    {
        CanPrompt = !System.Console.IsInputRedirected && AnsiConsole.Console.Profile.Capabilities.Interactive,
    };

    /// <summary>Someone can answer a question (a terminal on stdin); a script or a pipe cannot.</summary>
    public bool CanPrompt { get; init; } = true;

    /// <summary>
    /// True when <paramref name="yes"/> was given or the operator confirms; without a terminal to ask on, a refusal
    /// naming --yes (exit 1), never a prompt that cannot be answered.
    /// </summary>
    public bool Confirm(string question, bool yes, string what)
    {
        if (yes)
        {
            return true;
        }

        if (!CanPrompt)
        {
            throw new CliUsageException($"{what} needs a confirmation and there is no terminal to ask on: add --yes to run it without a prompt");
        }

        return Console.Confirm(question, false);
    }

    /// <summary>Prints each problem (plain text) in red; true when there was any, and the command then exits non-zero.</summary>
    public bool Refused(IEnumerable<string> problems)
    {
        var any = false;
        foreach (var problem in problems)
        {
            Console.MarkupLine($"[red]{Markup.Escape(problem)}[/]");
            any = true;
        }

        return any;
    }

    public Task<int> RunAsync(Func<IServiceProvider, Task<int>> body, CancellationToken ct) =>
        Services is { } services ? body(services) : CliHost.RunAsync(body, ct);

    /// <summary>As <see cref="RunAsync(Func{IServiceProvider, Task{int}}, CancellationToken)"/>; <paramref name="configure"/> adds the features a fresh host needs (a running gateway has them).</summary>
    public Task<int> RunAsync(Func<IServiceProvider, Task<int>> body, CancellationToken ct, Action<IHostApplicationBuilder> configure) =>
        Services is { } services ? body(services) : CliHost.RunAsync(body, ct, configure);
}

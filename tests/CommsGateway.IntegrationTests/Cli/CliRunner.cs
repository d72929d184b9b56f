extern alias cli;

using System.CommandLine;
using Spectre.Console;
using Spectre.Console.Rendering;
using CampaignCommand = cli::CommsGateway.Cli.Commands.CampaignCommand;
using CliRoot = cli::CommsGateway.Cli.CliRoot;
using CliEnvironment = cli::CommsGateway.Cli.Commands.CliEnvironment;
using ConsentCommand = cli::CommsGateway.Cli.Commands.ConsentCommand;
using ContactsCommand = cli::CommsGateway.Cli.Commands.ContactsCommand;
using PatientDataCommands = cli::CommsGateway.Cli.Commands.PatientDataCommands;
using ReviewCommand = cli::CommsGateway.Cli.Commands.ReviewCommand;
using TenantCommand = cli::CommsGateway.Cli.Commands.TenantCommand;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>What one `commsgw ...` invocation returned and printed.</summary>
internal sealed record CliResult(int ExitCode, string Console, string Out, string Error);

/// <summary>
/// Runs the admin commands as `commsgw` parses them, against a running gateway's services (same database), with the
/// terminal captured. <paramref name="keys"/> are typed at any prompt (the erase confirmation).
/// </summary>
internal static class CliRunner
{
    public static async Task<CliResult> RunAsync(IServiceProvider services, string[] args, string keys = "")
    {
        await using var console = new StringWriter();
        await using var output = new StringWriter();
        await using var error = new StringWriter();
        var terminal = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(console),
        });
        terminal.Profile.Width = 240;
        var env = new CliEnvironment(services, new TypingConsole(terminal, keys), output, error);
        var root = new RootCommand("commsgw")
        {
            ContactsCommand.Create(env), ConsentCommand.Create(env), PatientDataCommands.Export(env), PatientDataCommands.Erase(env),
            CampaignCommand.Create(env), ReviewCommand.Create(env), TenantCommand.Create(env),
        };
        // commsgw's own top-level handler: a refusal is a message and an exit code, as for the operator.
        var exit = await CliRoot.InvokeAsync(args, error, root, output);
        return new CliResult(exit, console.ToString(), output.ToString(), error.ToString());
    }

    /// <summary>A console whose keyboard types the given keys, then Enter.</summary>
    private sealed class TypingConsole(IAnsiConsole inner, string keys) : IAnsiConsole, IAnsiConsoleInput
    {
        private readonly Queue<char> _keys = new(keys + "\r");

        public Profile Profile => inner.Profile;

        public IAnsiConsoleCursor Cursor => inner.Cursor;

        public IAnsiConsoleInput Input => this;

        public IExclusivityMode ExclusivityMode => inner.ExclusivityMode;

        public RenderPipeline Pipeline => inner.Pipeline;

        public void Clear(bool home) => inner.Clear(home);

        public void Write(IRenderable renderable) => inner.Write(renderable);

        public bool IsKeyAvailable() => _keys.Count > 0;

        public ConsoleKeyInfo? ReadKey(bool intercept)
        {
            if (!_keys.TryDequeue(out var c))
            {
                throw new InvalidOperationException("The command asked for more input than the test typed");
            }

            return new ConsoleKeyInfo(c, c == '\r' ? ConsoleKey.Enter : ConsoleKey.A, shift: false, alt: false, control: false);
        }

        public Task<ConsoleKeyInfo?> ReadKeyAsync(bool intercept, CancellationToken cancellationToken) => Task.FromResult(ReadKey(intercept));
    }
}

using System.CommandLine;
using CommsGateway.Cli.Commands;
using Microsoft.Extensions.Options;

namespace CommsGateway.Cli;

/// <summary>Every verb of commsgw. Its own class so the tests parse runbook lines with the very same tree.</summary>
internal static class CliRoot
{
    public static RootCommand Create()
    {
        var root = new RootCommand("commsgw: operate the CommsGateway marketing-communications gateway");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(DecisionsCommand.Create());
        root.Subcommands.Add(RetentionCommand.Create());
        root.Subcommands.Add(BreachCommand.Create());
        root.Subcommands.Add(ClassifyCommand.Create());
        root.Subcommands.Add(TenantCommand.Create());
        root.Subcommands.Add(ContactsCommand.Create());
        root.Subcommands.Add(ConsentCommand.Create());
        root.Subcommands.Add(CampaignCommand.Create());
        root.Subcommands.Add(PatientDataCommands.Export());
        root.Subcommands.Add(PatientDataCommands.Erase());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(FakeProvidersCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(ReviewCommand.Create());
        root.Subcommands.Add(QueueCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. No stack trace reaches the operator: a refused configuration exits 78
    /// (EX_CONFIG), any other failure 1, each with one readable message on <paramref name="error"/>.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter error, RootCommand? root = null, TextWriter? output = null)
    {
        var parse = (root ?? Create()).Parse(args);
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error, Output = output ?? Console.Out });
        }
        catch (Exception e) when (RunCommand.ConfigurationFailures(e) is { Count: > 0 } failures)
        {
            await error.WriteLineAsync("commsgw: the configuration was refused:");
            foreach (var failure in failures)
            {
                await error.WriteLineAsync("  - " + failure);
            }

            return RunCommand.ExitConfigurationError;
        }
        catch (CliConfigurationException e)
        {
            await error.WriteLineAsync("commsgw: " + e.Message);
            return RunCommand.ExitConfigurationError;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("commsgw: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            await error.WriteLineAsync("commsgw: " + Describe(e));
            return 1;
        }
    }

    /// <summary>The message of the failure and of its causes, without types or frames (those are for the logs).</summary>
    internal static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
        {
            if (!messages.Contains(current.Message))
            {
                messages.Add(current.Message);
            }
        }

        return string.Join(": ", messages);
    }
}

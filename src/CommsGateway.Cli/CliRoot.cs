using System.CommandLine;
using CommsGateway.Cli.Commands;

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
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(QueueCommand.Create());
        return root;
    }
}

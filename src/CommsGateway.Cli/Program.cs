using System.CommandLine;
using CommsGateway.Cli.Commands;

var root = new RootCommand("commsgw: operate the CommsGateway marketing-communications gateway");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(AuditCommand.Create());
return await root.Parse(args).InvokeAsync();

using System.CommandLine;
using CommsGateway.Features.Intents;
using CommsGateway.Hosting;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw queue migrate`: re-declare the gateway's queues with the configured type (classic to quorum).</summary>
internal static class QueueCommand
{
    public static Command Create()
    {
        var command = new Command("queue", "Operate the gateway's RabbitMQ queues");
        command.Subcommands.Add(Migrate());
        return command;
    }

    private static Command Migrate()
    {
        var command = new Command("migrate",
            "Move the intent and contact-change queues (and their _error/_skipped queues) to the configured RabbitMq:QueueType " +
            "without losing a message. Stop every gateway instance first.");
        command.SetAction(async (_, ct) =>
        {
            var configuration = CliConfiguration.Build();
            var rabbit = new RabbitMqOptions();
            configuration.GetSection(RabbitMqOptions.Section).Bind(rabbit);
            var gateway = new GatewayOptions();
            configuration.GetSection(GatewayOptions.Section).Bind(gateway);
            var results = await new QueueMigration(rabbit).MigrateAsync(QueueMigration.GatewayQueues(gateway.IntentQueue), ct);
            var table = new Table().Border(TableBorder.Rounded).Title($"[bold]Queues as {rabbit.QueueType}[/]").AddColumns("Queue", "Action", "Messages moved");
            foreach (var r in results)
            {
                table.AddRow(Markup.Escape(r.Queue), r.Action, r.Moved.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}

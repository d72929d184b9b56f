using System.CommandLine;
using System.Runtime.InteropServices;
using CommsGateway.FakeProviders;

namespace CommsGateway.Cli.Commands;

/// <summary>
/// `commsgw fake-providers`: the local fake SendGrid/Twilio as a process of its own (the bench runs it beside the
/// gateway process so its work is not charged to the gateway). Loopback only; serves until stopped (Ctrl+C, SIGTERM).
/// </summary>
internal static class FakeProvidersCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free port)", DefaultValueFactory = _ => 5090 };
        var unthrottled = new Option<bool>("--unthrottled")
        {
            Description = "Lift the per-sender token buckets (1,000,000/s): the fake never paces the caller (benchmarks)",
        };
        var command = new Command("fake-providers", "Serve the local fake SendGrid/Twilio (development, tests, bench) until stopped") { port, unthrottled };
        command.SetAction(async (parse, ct) =>
        {
            var options = new FakeProviderOptions();
            if (parse.GetValue(unthrottled))
            {
                foreach (var kind in Enum.GetValues<SenderKind>())
                {
                    options.RatePerSecond[kind] = 1_000_000;
                }
            }

            await using var fake = await FakeProviderServer.StartAsync(options, parse.GetValue(port), ct);
            // One line a parent process can read: where the fake listens.
            await parse.InvocationConfiguration.Output.WriteLineAsync($"fake providers listening on {fake.BaseUrl}");
            await parse.InvocationConfiguration.Output.FlushAsync(ct);
            // Stopped by Ctrl+C or SIGTERM (the bench's graceful stop), whoever else handles them.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // stopped
            }

            return 0;
        });
        return command;
    }
}

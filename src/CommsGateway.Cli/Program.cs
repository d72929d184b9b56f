using CommsGateway.Cli;

return await CliRoot.InvokeAsync(args, Console.Error);

using CommsGateway.Cli;

return await CliRoot.Create().Parse(args).InvokeAsync();

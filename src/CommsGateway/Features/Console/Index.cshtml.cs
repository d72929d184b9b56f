using Microsoft.AspNetCore.Authorization;

namespace CommsGateway.Features.Console;

/// <summary>The console's home: what this role may do, and nothing about any patient.</summary>
[Authorize(Policy = ConsolePolicies.Signed)]
public sealed class IndexModel : ConsolePageModel
{
    public void OnGet() => Title = T("Console", "Console");
}

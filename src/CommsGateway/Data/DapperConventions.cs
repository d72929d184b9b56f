using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace CommsGateway.Data;

/// <summary>
/// Dapper's mapping is process-wide state: set here, once, when this assembly (which holds every SQL statement)
/// loads, so the gateway, each CLI verb and the tests all map snake_case columns whatever code path runs first.
/// </summary>
internal static class DapperConventions
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "The mapping must hold before any query of this assembly, whichever entry point loads it")]
    internal static void Initialize() => Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
}

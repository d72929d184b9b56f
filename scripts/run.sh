#!/usr/bin/env bash
# The README's main command: servers up (installed when absent), then the gateway with its demo.
# Extra arguments go to `commsgw demo` (e.g. --exit to stop after the demo).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dotnet-env.sh
# Assigned first so that a server that fails to start stops this script here (set -e), not the tests later.
server_env=$(bash scripts/servers.sh)
eval "$server_env"
dotnet build src/CommsGateway.Cli -c Release -nologo -clp:ErrorsOnly
# Queues a gateway of an earlier version declared as classic become quorum queues (runbooks/quorum-queues.md),
# keeping what they hold; a no-op when they are already quorum or absent. A gateway cannot consume a queue whose
# declared type differs from the one it asks for.
DOTNET_ENVIRONMENT=Development dotnet src/CommsGateway.Cli/bin/Release/net10.0/commsgw.dll queue migrate
exec dotnet src/CommsGateway.Cli/bin/Release/net10.0/commsgw.dll demo "$@"

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
exec dotnet src/CommsGateway.Cli/bin/Release/net10.0/commsgw.dll demo "$@"

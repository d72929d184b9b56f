#!/usr/bin/env bash
# The README's test command: start the real servers (installing them when absent), build once
# without warnings, run every test project, and print one closing "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dotnet-env.sh
# Assigned first so that a server that fails to start stops this script here (set -e), not the tests later.
server_env=$(bash scripts/servers.sh)
eval "$server_env"
bash scripts/install-test-deps.sh
dotnet build CommsGateway.sln -c Release -warnaserror -nologo -clp:ErrorsOnly
results=$(mktemp -d)
status=0
# Everything but the fault suite, then the fault suite alone: it stops and restarts private RabbitMQ and
# PostgreSQL instances and measures recovery, which should not compete with the rest for two cores.
dotnet test CommsGateway.sln -c Release --no-build --blame-hang-timeout 10m --blame-hang-dump-type none --filter "Category!=Fault" --logger "trx" --results-directory "$results" -- RunConfiguration.TreatNoTestsAsError=true || status=$?
dotnet test tests/CommsGateway.IntegrationTests -c Release --no-build --blame-hang-timeout 10m --blame-hang-dump-type none --filter "Category=Fault" --logger "trx" --results-directory "$results" -- RunConfiguration.TreatNoTestsAsError=true || status=$?
python3 - "$results" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
ns = {'t': 'http://microsoft.com/schemas/VisualStudio/TeamTest/2010'}
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + '/*.trx'):
    c = ET.parse(f).getroot().find('.//t:ResultSummary/t:Counters', ns)
    if c is None: continue
    passed += int(c.get('passed', 0)); failed += int(c.get('failed', 0)); skipped += int(c.get('notExecuted', 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status

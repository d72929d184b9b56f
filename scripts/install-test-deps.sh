#!/usr/bin/env bash
# Test-only dependencies. Idempotent.
#  - Debian's Chromium (browser tests) and python3-pika (the Python producer snippet of docs/producers.md);
#  - amqplib from npm into tests/producers/node_modules (the Node producer snippet), project-local and git-ignored.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${COMMSGW_STATE_DIR:-/var/tmp/commsgw}"
mkdir -p "$STATE_DIR"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
/usr/bin/python3 -c 'import pika' >/dev/null 2>&1 || missing+=(python3-pika)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  [ -f "$STATE_DIR/.apt-updated" ] || { apt-get update -qq >/dev/null; touch "$STATE_DIR/.apt-updated"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -d "$ROOT/tests/producers/node_modules/amqplib" ]; then
  (cd "$ROOT/tests/producers" && npm install --no-audit --no-fund --silent >/dev/null)
fi

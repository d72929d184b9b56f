#!/usr/bin/env bash
# Test-only system packages (browser tests drive Debian's Chromium). Idempotent.
set -euo pipefail
STATE_DIR="${COMMSGW_STATE_DIR:-/var/tmp/commsgw}"
mkdir -p "$STATE_DIR"
if ! command -v chromium >/dev/null 2>&1; then
  [ -f "$STATE_DIR/.apt-updated" ] || { apt-get update -qq >/dev/null; touch "$STATE_DIR/.apt-updated"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

#!/usr/bin/env bash
# Sets everything up and runs the gateway in the foreground on its embedded default:
# SQLite store in ~/.local/share/gatehouse, admin API on 127.0.0.1:8700. Ctrl-C stops it.
#   scripts/run.sh [gatehoused options]
# With --demo it also starts the bundled demo upstream, applies resources/demo.toml, issues a demo
# token and prints the commands to try (scripts/demo.sh; docs/desktop.md "Demo").
#   scripts/run.sh --demo [gatehoused options]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
DEMO=0
if [ "${1:-}" = "--demo" ]; then
  DEMO=1
  shift
fi
scripts/setup.sh --build-dir "$BUILD_DIR"
[ "$DEMO" -eq 1 ] && exec scripts/demo.sh "$BUILD_DIR" "$@"
exec "$BUILD_DIR/app/gatehoused/gatehoused" "$@"

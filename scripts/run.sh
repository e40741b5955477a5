#!/usr/bin/env bash
# Sets everything up and runs the gateway in the foreground on its embedded default:
# SQLite store in ~/.local/share/gatehouse, admin API on 127.0.0.1:8700. Ctrl-C stops it.
#   scripts/run.sh [gatehoused options]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
scripts/setup.sh --build-dir "$BUILD_DIR"
exec "$BUILD_DIR/app/gatehoused/gatehoused" "$@"

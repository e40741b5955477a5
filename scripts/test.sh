#!/usr/bin/env bash
# Sets everything up (Debian packages, configure, build) and runs the whole test suite.
#   scripts/test.sh [extra cmake args]        BUILD_DIR=build-x scripts/test.sh ...
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
scripts/setup.sh --build-dir "$BUILD_DIR" -- "$@"
# Tests run the real daemon on loopback; keep their temporary data out of the user's data dir.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
chmod 0700 "$XDG_RUNTIME_DIR"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 300

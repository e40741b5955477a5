#!/usr/bin/env bash
# Installs what Gatehouse needs on Debian 12, configures and builds it.
#   scripts/setup.sh [--deps-only] [--build-dir DIR] [-- extra cmake args]
# Idempotent: when every package is present it installs nothing and prints nothing about it.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=build
DEPS_ONLY=0
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --deps-only) DEPS_ONLY=1 ;;
    --build-dir) BUILD_DIR="$2"; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "setup.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

PKGS=(
  build-essential cmake ninja-build pkg-config ccache dpkg-dev fakeroot file
  qt6-base-dev libqt6opengl6-dev qt6-tools-dev qt6-l10n-tools qt6-svg-dev qt6-charts-dev
  libqt6sql6-sqlite libqt6sql6-psql qt6-websockets-dev
  libre2-dev libssl-dev libsqlite3-dev libtomlplusplus-dev libhttp-parser-dev libzstd-dev libjemalloc-dev
  qtkeychain-qt6-dev qt6-translations-l10n
  xvfb xauth dbus curl python3 openssl sqlite3 systemd
)

# The openai client test (tests/integration/openai) needs node and npm; a node already on PATH (from
# any source) is used as it is.
command -v node >/dev/null || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The openai npm client, exactly as pinned in the lock file: installed again only when the lock changed.
OPENAI_DIR=tests/integration/openai
if command -v npm >/dev/null && [ -f "$OPENAI_DIR/package-lock.json" ]; then
  lock_sum=$(sha256sum "$OPENAI_DIR/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$OPENAI_DIR/node_modules/.lock-sha256" 2>/dev/null)" != "$lock_sum" ]; then
    echo "setup: installing the npm packages of $OPENAI_DIR"
    npm ci --prefix "$OPENAI_DIR" --no-audit --no-fund --loglevel=error >/dev/null
    echo "$lock_sum" >"$OPENAI_DIR/node_modules/.lock-sha256"
  fi
fi
[ "$DEPS_ONLY" -eq 1 ] && exit 0

LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${LAUNCHER[@]}" "${EXTRA[@]}" >/dev/null
elif [ ${#EXTRA[@]} -gt 0 ]; then
  cmake -S . -B "$BUILD_DIR" "${EXTRA[@]}" >/dev/null
fi
cmake --build "$BUILD_DIR"

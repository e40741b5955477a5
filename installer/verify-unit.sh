#!/bin/sh
# Checks gatehoused.service with systemd-analyze verify.
#   installer/verify-unit.sh PATH/TO/BUILT/gatehoused
# verify refuses a unit whose ExecStart binary is missing, and /usr/bin/gatehoused is not
# installed on a build machine: so a temporary copy of the unit runs the built binary instead.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
unit="$here/gatehoused.service"

if [ $# -ne 1 ]; then
    echo "verify-unit.sh: usage: verify-unit.sh PATH/TO/gatehoused" >&2
    exit 2
fi
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if [ ! -x "$binary" ]; then
    echo "verify-unit.sh: $binary is not an executable" >&2
    exit 2
fi

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "verify-unit.sh: systemd-analyze not found; unit not verified"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# Only the program path changes; every hardening line is verified as shipped.
sed "s|^ExecStart=/usr/bin/gatehoused |ExecStart=$binary |" "$unit" > "$tmp/gatehoused.service"
if ! grep -q "^ExecStart=$binary " "$tmp/gatehoused.service"; then
    echo "verify-unit.sh: ExecStart in $unit does not start /usr/bin/gatehoused" >&2
    exit 1
fi

# --man=no: the Documentation= man page ships with the package, not with the build tree.
out=$(systemd-analyze verify --man=no "$tmp/gatehoused.service" 2>&1) || {
    printf '%s\n' "$out" >&2
    exit 1
}
# verify exits 0 on some problems it only warns about; any message about our unit is a failure.
if printf '%s\n' "$out" | grep -q "gatehoused.service"; then
    printf '%s\n' "$out" >&2
    exit 1
fi
echo "verify-unit.sh: gatehoused.service verified"

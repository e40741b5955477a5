#!/usr/bin/env bash
# The newcomer demo (docs/desktop.md "Demo"), run by `scripts/run.sh --demo` after the build:
# this machine's gateway (started here unless one already answers), the bundled demo upstream,
# resources/demo.toml applied, a one-hour demo token, and the commands to try. Ctrl-C stops what
# this script started.
#   scripts/demo.sh BUILD_DIR [gatehoused options]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:?usage: scripts/demo.sh BUILD_DIR [gatehoused options]}
shift
BIN="$BUILD_DIR/app/gatehoused"
CTL="$BUILD_DIR/app/gatehousectl/gatehousectl"
DATA_DIR=${GATEHOUSE_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/gatehouse}
export GATEHOUSE_DATA_DIR="$DATA_DIR"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

admin_url() { head -n1 "$DATA_DIR/admin.url" 2>/dev/null || echo http://127.0.0.1:8700; }
healthy() { curl -fsS --max-time 2 "$(admin_url)/healthz" >/dev/null 2>&1; }

DAEMON_PID=""
if healthy; then
  echo "demo: using the gateway already running at $(admin_url)"
else
  echo "demo: starting gatehoused (data in $DATA_DIR, log in $WORK/gatehoused.log)"
  "$BIN/gatehoused" --data-dir "$DATA_DIR" "$@" >"$WORK/gatehoused.log" 2>&1 &
  DAEMON_PID=$!
  PIDS+=("$DAEMON_PID")
  for _ in $(seq 100); do healthy && break; kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
  healthy || { echo "demo: gatehoused did not start:" >&2; cat "$WORK/gatehoused.log" >&2; exit 1; }
fi

"$BIN/gatehouse-demo-upstream" --listen 127.0.0.1:0 --port-file "$WORK/upstream.port" >/dev/null &
UPSTREAM_PID=$!
PIDS+=("$UPSTREAM_PID")
for _ in $(seq 50); do [ -s "$WORK/upstream.port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/upstream.port" 2>/dev/null) || { echo "demo: the demo upstream did not start" >&2; exit 1; }

sed "s#http://127.0.0.1:8790#http://127.0.0.1:$PORT#" resources/demo.toml >"$WORK/demo.toml"
"$CTL" apply -f "$WORK/demo.toml" >/dev/null
TOKEN=$("$CTL" token issue --subject demo-user --groups demo-users --ttl 1h)
PROXY=$(head -n1 "$DATA_DIR/proxy.url" 2>/dev/null || echo http://127.0.0.1:8701)

cat <<TRY

The demo is ready: connection "demo" -> the demo upstream on 127.0.0.1:$PORT, with the rules
demo-mask-cards (card numbers become [CARD]) and demo-approve-fine-tunes (held for an admin).
The demo token below is valid for one hour.

1. A masked answer:
   curl -s -H 'Authorization: Bearer $TOKEN' -H 'Content-Type: application/json' \\
     -d '{"model":"demo-1","messages":[{"role":"user","content":"Who is Jane?"}]}' \\
     $PROXY/demo/v1/chat/completions
   (add "stream":true for the same answer as Server-Sent Events)

2. A request held for approval (it waits until someone decides):
   curl -s -H 'Authorization: Bearer $TOKEN' -H 'Content-Type: application/json' \\
     -d '{"training_file":"file-demo"}' $PROXY/demo/v1/fine-tunes
   approve it in the desktop app (gatehouse, Approvals tab), or in another terminal:
   $CTL get approvals --state pending
   $CTL approve ID

3. The replay: every request above is recorded.
   $CTL get sessions --connection demo
   $CTL play ID          (or the desktop app's Sessions tab)

Ctrl-C stops the demo upstream${DAEMON_PID:+ and the gateway}.
TRY
wait "${DAEMON_PID:-$UPSTREAM_PID}"

#!/usr/bin/env bash
# Interop with Python `websockets` (pinned in requirements.txt), compression on:
# our client against its server and its client against our server, for each
# parameter set below, with the sync driver and with the async (tokio) one. Every message (text and binary, 0 B to 1 MiB) must echo
# byte-exact and the agreed Sec-WebSocket-Extensions must carry the parameters.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${INTEROP_VENV:-$ROOT/target/interop-venv}"
WORK="$ROOT/target/interop"
mkdir -p "$WORK"

if ! "$VENV/bin/python" -c "import websockets" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r "$HERE/requirements.txt"
fi
PY="$VENV/bin/python"
(cd "$ROOT" && cargo build --release -q -p autobahn --bin interop)
BIN="$ROOT/target/release/interop"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_for() { # file pattern
    for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    echo "timed out waiting for '$2' in $1"; cat "$1"; return 1
}

expect() { # log, substrings...
    local log="$1"; shift
    for s in "$@"; do
        grep "^negotiated:" "$log" | grep -q -- "$s" || { echo "FAIL: '$s' not negotiated"; cat "$log"; exit 1; }
    done
    grep -q "messages echoed byte-exact" "$log" || { echo "FAIL: echo"; cat "$log"; exit 1; }
}

# name | our flags | python flags | substrings the agreement must contain
SCENARIOS=(
  "defaults|||permessage-deflate"
  "client_max_window_bits|--cmwb 10|--cmwb 10|client_max_window_bits=10"
  "no_context_takeover|--snct --cnct|--snct --cnct|server_no_context_takeover client_no_context_takeover"
  "server_max_window_bits|--smwb 11|--smwb 11|server_max_window_bits=11"
  "all|--snct --cnct --smwb 9 --cmwb 9|--snct --cnct --smwb 9 --cmwb 9|server_no_context_takeover client_no_context_takeover server_max_window_bits=9 client_max_window_bits=9"
)

for driver in sync async; do
for scenario in "${SCENARIOS[@]}"; do
    IFS='|' read -r name ours theirs want <<<"$scenario"
    [ "$driver" = async ] && ours="$ours --async"
    name="$driver-$name"
    read -r -a want_list <<<"$want"

    # Our client -> websockets server.
    log="$WORK/$name-python-server.log"
    # shellcheck disable=SC2086
    "$PY" "$HERE/peer.py" server $theirs >"$log" 2>&1 &
    PIDS+=($!)
    wait_for "$log" "^port "
    port=$(sed -n 's/^port //p' "$log")
    # shellcheck disable=SC2086
    timeout 120 "$BIN" client "ws://127.0.0.1:$port/" $ours >"$WORK/$name-our-client.log" 2>&1 \
        || { echo "FAIL: our client ($name)"; cat "$WORK/$name-our-client.log" "$log"; exit 1; }
    expect "$WORK/$name-our-client.log" "${want_list[@]}"
    echo "ok  our client  <-> websockets server  [$name]: $(grep '^negotiated' "$WORK/$name-our-client.log")"

    # websockets client -> our server.
    log="$WORK/$name-our-server.log"
    # shellcheck disable=SC2086
    "$BIN" server 127.0.0.1:0 $ours >"$log" 2>&1 &
    PIDS+=($!)
    wait_for "$log" "^listening on "
    addr=$(sed -n 's/^listening on //p' "$log")
    # Python's client asks for client_max_window_bits without a value by default (0 here).
    theirs_client="$theirs"; [[ "$theirs" == *--cmwb* ]] || theirs_client="$theirs --cmwb 0"
    # shellcheck disable=SC2086
    timeout 120 "$PY" "$HERE/peer.py" client "ws://$addr/" $theirs_client >"$WORK/$name-python-client.log" 2>&1 \
        || { echo "FAIL: websockets client ($name)"; cat "$WORK/$name-python-client.log" "$log"; exit 1; }
    expect "$WORK/$name-python-client.log" "${want_list[@]}"
    echo "ok  websockets client <-> our server   [$name]: $(grep '^negotiated' "$WORK/$name-python-client.log")"
done
done
echo "interop: all scenarios passed"

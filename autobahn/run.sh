#!/usr/bin/env bash
# Runs the Autobahn|Testsuite against our server or client and compares the
# verdicts with autobahn/expected-results.json.
#
#   autobahn/run.sh server [--update] [CASES...]   # our echo server, wstest -m fuzzingclient
#   autobahn/run.sh client [--update] [CASES...]   # our client, wstest -m fuzzingserver
#   autobahn/run.sh server-async | client-async ... # the same for the tokio driver
#   autobahn/run.sh server-axum [--update] [CASES...] # the axum example (ws-server/examples/axum.rs) over HTTP/1.1
#
# CASES default to "*" (all 517). The verdicts of the cases that ran are compared
# with the expected ones for those cases; --update records them instead.
# wstest comes from, in order:
# $WSTEST, ../shared/autobahn/install.sh (into $WSTEST_VENV, default
# /tmp/wstest-venv), `wstest` on PATH, the crossbario/autobahn-testsuite image.
set -euo pipefail

ROLE="${1:?usage: run.sh server|client|server-async|client-async|server-axum [--update] [CASES...]}"
shift
URL_PATH=""
case "$ROLE" in
    server|client) TESTEE="autobahn-$ROLE"; MODE="$ROLE" ;;
    server-async|client-async) TESTEE="autobahn-$ROLE"; MODE="${ROLE%-async}" ;;
    server-axum) TESTEE="examples/axum"; MODE="server"; URL_PATH="/ws" ;;
    *) echo "role must be server, client, server-async, client-async or server-axum" >&2; exit 2 ;;
esac
UPDATE=""
if [ "${1:-}" = "--update" ]; then UPDATE="--update"; shift; fi
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=("*")

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
WORK="${AUTOBAHN_WORK:-$ROOT/target/autobahn/$ROLE}"
rm -rf "$WORK"; mkdir -p "$WORK"; WORK="$(cd "$WORK" && pwd)"
AGENT="ws-rs"
[ "$MODE" = "$ROLE" ] || AGENT="ws-rs-async"
[ "$ROLE" != server-axum ] || AGENT="ws-rs-axum"
case_list=$(printf '"%s",' "${CASES[@]}"); case_list="[${case_list%,}]"

# --- find wstest -----------------------------------------------------------
DOCKER=""
if [ -n "${WSTEST:-}" ]; then
    :
elif [ -x "$ROOT/../shared/autobahn/install.sh" ] || [ -f "$ROOT/../shared/autobahn/install.sh" ]; then
    VENV="${WSTEST_VENV:-/tmp/wstest-venv}"
    if ! "$VENV/bin/wstest" --autobahnversion >/dev/null 2>&1; then
        echo "installing wstest into $VENV"
        bash "$ROOT/../shared/autobahn/install.sh" "$VENV" >"$WORK/install.log" 2>&1 \
            || { cat "$WORK/install.log"; exit 1; }
    fi
    WSTEST="$VENV/bin/wstest"
elif command -v wstest >/dev/null 2>&1; then
    WSTEST="$(command -v wstest)"
else
    DOCKER=1
fi

# The wstest command line for a mode and spec, bounded so that a hung run
# cannot hang CI. Run as `(cd "$WORK" && exec "${CMD[@]}")`: with exec, the PID
# of a background run is timeout's, and timeout passes a TERM on to wstest.
wstest_cmd() { # mode spec [args]
    if [ -n "$DOCKER" ]; then
        CMD=(timeout 3000 docker run --rm --network host -v "$WORK:$WORK" -w "$WORK"
             crossbario/autobahn-testsuite wstest -m "$1" -s "$2" "${@:3}")
    else
        CMD=(timeout 3000 "$WSTEST" -m "$1" -s "$2" "${@:3}")
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- build the testees -------------------------------------------------------
if [ "$ROLE" = server-axum ]; then
    (cd "$ROOT" && cargo build --release -q -p sockwell-server --features axum --example axum)
else
    (cd "$ROOT" && cargo build --release -q -p autobahn)
fi
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ "$MODE" = server ]; then
    if [ "$ROLE" = server-axum ]; then
        "$BIN/$TESTEE" --listen 127.0.0.1:0 >"$WORK/testee.log" 2>&1 &
    else
        "$BIN/$TESTEE" 127.0.0.1:0 >"$WORK/testee.log" 2>&1 &
    fi
    PIDS+=($!)
    for _ in $(seq 100); do grep -q "listening on" "$WORK/testee.log" && break; sleep 0.1; done
    ADDR=$(sed -n 's/^listening on //p' "$WORK/testee.log")
    [ -n "$ADDR" ] || { echo "server did not start"; cat "$WORK/testee.log"; exit 1; }
    cat >"$WORK/fuzzingclient.json" <<JSON
{"outdir": "./reports", "servers": [{"agent": "$AGENT", "url": "ws://$ADDR$URL_PATH"}],
 "cases": $case_list, "exclude-cases": [], "exclude-agent-cases": {}}
JSON
    wstest_cmd fuzzingclient fuzzingclient.json
    (cd "$WORK" && exec "${CMD[@]}") >"$WORK/wstest.log" 2>&1 \
        || { tail -20 "$WORK/wstest.log"; exit 1; }
else
    PORT=$(free_port)
    cat >"$WORK/fuzzingserver.json" <<JSON
{"url": "ws://127.0.0.1:$PORT", "outdir": "./reports",
 "cases": $case_list, "exclude-cases": [], "exclude-agent-cases": {}}
JSON
    wstest_cmd fuzzingserver fuzzingserver.json --webport 0
    (cd "$WORK" && exec "${CMD[@]}") >"$WORK/wstest.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 300); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
    timeout 3000 "$BIN/$TESTEE" "ws://127.0.0.1:$PORT" "$AGENT" >"$WORK/testee.log" 2>&1 \
        || { tail -20 "$WORK/testee.log"; exit 1; }
fi

python3 "$HERE/compare.py" "$ROLE" "$WORK/reports" "$HERE/expected-results.json" $UPDATE \
    --cases "${CASES[@]}"

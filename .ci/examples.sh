#!/usr/bin/env bash
# Every example in the workspace, built and run for a short, bounded time.
# Each one checks what it does (echoes compared, order checked, exit status
# nonzero on any difference); the servers that would run forever are started
# in the background on port 0, talked to by a client, and stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
EX=target/debug/examples
WS=target/debug/ws
TIMEOUT=120

run() { echo "--- $*" >&2; timeout "$TIMEOUT" "$@"; }

# Starts a server in the background; sets SERVER_PID and SERVER_URL from the
# first "ws://..." or "listening on ADDR" it prints (stdout or stderr).
start() {
    local log
    log=$(mktemp)
    echo "--- (background) $*"
    "$@" >"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        SERVER_URL=$(grep -oE 'wss?://[0-9.]+:[0-9]+/' "$log" | head -n 1 || true)
        [ -n "$SERVER_URL" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log"; echo "server exited"; return 1; }
        sleep 0.1
    done
    cat "$log"; echo "no URL from $*"; return 1
}
stop() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
trap stop EXIT

cargo build -q --workspace --examples --bins
cargo build -q -p sockwell-server --features tokio,axum --examples

# The sync pair: thread-per-connection server, blocking client.
start "$EX/sync_echo" 127.0.0.1:0
run "$EX/echo_client" "$SERVER_URL"
# ... and the command-line client against it, through a pipe.
out=$(printf 'hello from ws\n' | run "$WS" "$SERVER_URL")
[ "$out" = "hello from ws" ] || { echo "ws got: $out"; exit 1; }
stop

# Self-contained examples (each spawns its own peer and checks the result).
run "$EX/demo"
run "$EX/mio_server"
run "$EX/split_threads"
run "$EX/crc32_echo"
run "$EX/echo"
run "$EX/chat"
run "$EX/split"
run "$EX/wss"
run "$EX/wss_async"

# The axum app: its WebSocket route, through the command-line client.
start "$EX/axum" --listen 127.0.0.1:0
url="${SERVER_URL}ws"
out=$(printf 'via axum\n' | run "$WS" "$url" --show-handshake 2>"$EX/../axum-ws.err")
grep -q permessage-deflate "$EX/../axum-ws.err" || { cat "$EX/../axum-ws.err"; exit 1; }
[ "$out" = "via axum" ] || { echo "ws got: $out"; exit 1; }
stop

# ws serve and ws, as the README shows them.
start "$WS" serve 127.0.0.1:0
out=$(printf 'one\ntwo\n' | run "$WS" "$SERVER_URL" --level 1 --client-max-window-bits 12)
[ "$out" = $'one\ntwo' ] || { echo "ws got: $out"; exit 1; }
stop

# The measuring tools of benches/, in a token run (debug build: the figures
# mean nothing here; the run shows they work).
run "$EX/memory" default
run "$EX/echo_load" --rounds 1 --secs 0.2 --impls ours-sync,ours-async --cases 100x20B
echo "every example ran"

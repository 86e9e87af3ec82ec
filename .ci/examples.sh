#!/usr/bin/env bash
# Every example in the workspace, built and run for a short, bounded time.
# Each one checks what it does (echoes compared, order checked, exit status
# nonzero on any difference); the servers that would run forever are started
# in the background on port 0, talked to by a client, and stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
EX="${CARGO_TARGET_DIR:-target}/debug/examples"
WS="${CARGO_TARGET_DIR:-target}/debug/ws"
TIMEOUT=120

run() { echo "--- $*" >&2; timeout "$TIMEOUT" "$@"; }

# Starts a server in the background; sets SERVER_PID and SERVER_URL from the
# first "ws://..." or "listening on ADDR" it prints (stdout or stderr), and
# SERVER_LOG to the file that holds its output.
start() {
    local log
    log=$(mktemp)
    SERVER_LOG=$log
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
cargo build -q -p sockwell-client --features tokio-rustls --example async_client

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

# The everyday examples (each also has a test in examples/tests/).
# async_client and reconnect against ws serve (an echo server that accepts
# permessage-deflate).
start "$WS" serve 127.0.0.1:0
out=$(run "$EX/async_client" "$SERVER_URL")
echo "$out"
grep -q '^agreed: permessage-deflate' <<<"$out" || { echo "no compression agreed"; exit 1; }
out=$(run "$EX/reconnect" "$SERVER_URL" 3)
echo "$out"
[ "$(grep -c '^Received("message [123]")$' <<<"$out")" = 3 ] || { echo "reconnect: echoes missing"; exit 1; }
stop

# axum_chat: the sender is a member of its room, so its line comes back
# (the pause lets the broadcast arrive before end of input closes).
start "$EX/axum_chat" 127.0.0.1:0
out=$({ printf 'to the room\n'; sleep 2; } | run "$WS" "${SERVER_URL}ws/lobby" --show-handshake 2>"$EX/../chat-ws.err")
grep -q permessage-deflate "$EX/../chat-ws.err" || { cat "$EX/../chat-ws.err"; exit 1; }
[ "$out" = "to the room" ] || { echo "ws got: $out"; exit 1; }
stop

# json: a request answered; a line that is not JSON closed with 1007 (ws
# exits 6, closed abnormally).
start "$EX/json" 127.0.0.1:0
out=$(printf '{"type":"add","a":2,"b":3}\n' | run "$WS" "$SERVER_URL")
[ "$out" = '{"type":"sum","value":5}' ] || { echo "ws got: $out"; exit 1; }
status=0
printf 'not json\n' | run "$WS" "$SERVER_URL" 2>"$EX/../json-ws.err" || status=$?
grep -q 'closed by the server: 1007' "$EX/../json-ws.err" && [ "$status" = 6 ] || { cat "$EX/../json-ws.err"; exit 1; }
stop

# graceful_shutdown: SIGTERM with a client connected; the client gets a
# Close 1001, the server reports it closed cleanly and exits with 0.
start "$EX/graceful_shutdown" 127.0.0.1:0
{ printf 'hi\n'; sleep 10; } 2>/dev/null | run "$WS" "$SERVER_URL" >"$EX/../shutdown-ws.out" 2>"$EX/../shutdown-ws.err" &
for _ in $(seq 1 100); do grep -q '^hi$' "$EX/../shutdown-ws.out" && break; sleep 0.1; done
kill -TERM "$SERVER_PID"
timeout 20 tail --pid="$SERVER_PID" -f /dev/null
wait "$SERVER_PID" || { cat "$SERVER_LOG"; echo "graceful_shutdown failed"; exit 1; }
# (Its input stays open for 10 s: the client must leave on the Close alone.)
for _ in $(seq 1 100); do grep -q 'closed by peer: 1001' "$EX/../shutdown-ws.err" && break; sleep 0.1; done
grep -q 'closed by peer: 1001' "$EX/../shutdown-ws.err" || { cat "$EX/../shutdown-ws.err"; exit 1; }
grep -q 'stopped: 1 closed cleanly, 0 cut off' "$SERVER_LOG" || { cat "$SERVER_LOG"; exit 1; }

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

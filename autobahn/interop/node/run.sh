#!/usr/bin/env bash
# Interop with Node's `ws` (pinned in package.json and package-lock.json),
# permessage-deflate on, with OUR DEFAULT DeflateConfig on our side (context
# takeover kept): our client (sync and async drivers) against a ws server,
# and a ws client against our server (sync and async), for each of ws'
# parameter sets below. peer.js is the ws side (see its header).
#
# Every message (text and binary, 0 B to 1 MiB) must echo byte-exact, the
# agreed Sec-WebSocket-Extensions must carry the parameters wanted and none
# of those unwanted (e.g. no *_no_context_takeover where the client offered
# client_max_window_bits: our server then caps the client's window at 2^11
# and keeps both contexts), and far fewer bytes than the messages hold must
# cross the socket each way (so both sides did compress).
#
# Installs what it needs: Debian's nodejs and npm when `node` is missing,
# the ws package into node_modules beside this file (gitignored) with
# `npm ci` unless the pinned version is there already.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
WORK="$ROOT/target/interop-node"
mkdir -p "$WORK"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "installing nodejs and npm (Debian's packages)"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q nodejs npm >/dev/null
fi
pinned=$(node -p "require('$HERE/package.json').dependencies.ws")
installed=$(node -p "try { require('$HERE/node_modules/ws/package.json').version } catch (e) { '' }")
if [ "$installed" != "$pinned" ]; then
    npm ci --prefix "$HERE" --no-audit --no-fund --loglevel=error
fi
echo "node $(node --version), ws $(node -p "require('$HERE/node_modules/ws/package.json').version")"

(cd "$ROOT" && cargo build --release -q -p autobahn --bin interop)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/interop"
PEER=(node "$HERE/peer.js")

# Both peers send one text and one binary message of each of these sizes
# (SIZES in peer.js and in the interop binary's main.rs).
SIZES=(0 1 125 126 1000 65535 65536 200000 1048576)
PAYLOAD=0
for s in "${SIZES[@]}"; do PAYLOAD=$((PAYLOAD + 2 * s)); done
MESSAGES=$((2 * ${#SIZES[@]}))
# The messages are half JSON-like text (compresses well) and half random
# bytes (does not): compressed, a direction carries about 52% of PAYLOAD.
WIRE_MAX=$((PAYLOAD * 3 / 4))

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

die() { echo "FAIL: $1"; shift; for f in "$@"; do echo "--- $f"; cat "$f"; done; exit 1; }

# Starts a server with its output through a pipe and waits (10 s at most)
# for the line matching PATTERN, which it puts in SERVER_LINE; the rest of
# the output goes on into LOG. Sets SERVER_PID and DRAIN_PID (the copier,
# done once the server has exited).
start_server() { # log pattern command...
    local log="$1" pattern="$2"; shift 2
    local fifo="$WORK/server.fifo" fd line deadline=$((SECONDS + 10))
    rm -f "$fifo"; mkfifo "$fifo"
    "$@" >"$fifo" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    exec {fd}<"$fifo"
    rm -f "$fifo"
    : >"$log"
    SERVER_LINE=""
    while [ "$SECONDS" -lt "$deadline" ] \
        && IFS= read -r -t "$((deadline - SECONDS))" -u "$fd" line; do
        echo "$line" >>"$log"
        if [[ "$line" =~ $pattern ]]; then SERVER_LINE="$line"; break; fi
    done
    if [ -z "$SERVER_LINE" ]; then
        exec {fd}<&-
        die "no '$pattern' from the server within 10 s ($*)" "$log"
    fi
    cat <&"$fd" >>"$log" &
    DRAIN_PID=$!
    PIDS+=("$DRAIN_PID")
    exec {fd}<&-
}

# Waits for the server to exit by itself, at most SECONDS; returns its status.
wait_server() { # seconds
    sleep "$1" &
    local dog=$! status=0
    wait -n "$SERVER_PID" "$dog" || true
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        status=124
    else
        wait "$SERVER_PID" || status=$?
    fi
    kill "$dog" 2>/dev/null || true
    wait "$dog" 2>/dev/null || true
    wait "$DRAIN_PID" 2>/dev/null || true
    return "$status"
}

# Stops a server that serves on until stopped (ours), then lets its output drain.
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    wait "$DRAIN_PID" 2>/dev/null || true
}

# The agreement (the line starting with PREFIX in LOG) must contain every
# wanted substring and none of the unwanted ones.
check_agreement() { # log prefix "wanted..." "unwanted..." other logs...
    local log="$1" prefix="$2" want="$3" unwant="$4" line s
    shift 4
    line=$(grep -m1 "^$prefix" "$log" || true)
    [ -n "$line" ] || die "no '$prefix' line" "$log" "$@"
    for s in $want; do
        [[ "$line" == *"$s"* ]] || die "'$s' not agreed: $line" "$log" "$@"
    done
    for s in $unwant; do
        [[ "$line" != *"$s"* ]] || die "'$s' agreed: $line" "$log" "$@"
    done
}

check_wire() { # what sent received logs...
    local what="$1" sent="$2" received="$3"
    shift 3
    [ "$sent" -lt "$WIRE_MAX" ] && [ "$received" -lt "$WIRE_MAX" ] \
        || die "$what: $sent bytes sent, $received received for $PAYLOAD payload bytes each way (compression off?)" "$@"
}

# ws compresses every message while its direction keeps its context; its
# `threshold` (default 1024 bytes; 0 here compresses even empty messages)
# applies only to a direction without context takeover (ws'
# lib/sender.js), so the threshold-0 sets turn that on too.

# Our client (default config) -> ws server.
# name | peer.js server flags | wanted in the agreement | unwanted
NODE_SERVERS=(
  "default|||no_context_takeover"
  "windows|--smwb 10 --cmwb 10|server_max_window_bits=10 client_max_window_bits=10|no_context_takeover"
  "threshold0-snct|--threshold 0 --snct|server_no_context_takeover|client_no_context_takeover"
)

# ws client -> our server (default config).
# name | peer.js client flags | wanted in the agreement | unwanted
NODE_CLIENTS=(
  "default||client_max_window_bits=11|no_context_takeover server_max_window_bits"
  "windows|--smwb 10 --cmwb 12|server_max_window_bits=10 client_max_window_bits=11|no_context_takeover"
  "no-cmwb|--no-cmwb|client_no_context_takeover|server_no_context_takeover client_max_window_bits"
  "no-cmwb-threshold0|--no-cmwb --threshold 0|client_no_context_takeover|server_no_context_takeover client_max_window_bits"
)

our_client() { # driver name node-flags want unwant
    local driver="$1" name="$2" flags="$3" want="$4" unwant="$5" async=""
    [ "$driver" = async ] && async="--async"
    local slog="$WORK/$driver-$name-node-server.log" clog="$WORK/$driver-$name-our-client.log"
    # shellcheck disable=SC2086
    start_server "$slog" "^port [0-9]+$" "${PEER[@]}" server --once $flags
    local port=${SERVER_LINE#port }
    # shellcheck disable=SC2086
    timeout 120 "$BIN" client "ws://127.0.0.1:$port/" $async >"$clog" 2>&1 \
        || { stop_server; die "our $driver client against the ws server [$name]" "$clog" "$slog"; }
    wait_server 10 || die "the ws server [$name] (status $?)" "$slog" "$clog"
    check_agreement "$clog" "negotiated: permessage-deflate" "$want" "$unwant" "$slog"
    grep -q "^$MESSAGES messages echoed byte-exact$" "$clog" || die "echo [$name]" "$clog" "$slog"
    local wire; wire=$(grep -m1 "^wire: " "$slog") || die "no wire line [$name]" "$slog"
    local read written
    read=$(sed -E 's/^wire: read ([0-9]+), written ([0-9]+)$/\1/' <<<"$wire")
    written=$(sed -E 's/^wire: read ([0-9]+), written ([0-9]+)$/\2/' <<<"$wire")
    check_wire "our $driver client [$name]" "$read" "$written" "$clog" "$slog"
    echo "ok  our $driver client <-> ws server [$name $flags]: $(grep -m1 '^negotiated' "$clog"); ws $(grep -m1 '^answered' "$slog"); wire bytes up $read, down $written"
}

node_client() { # driver name node-flags want unwant
    local driver="$1" name="$2" flags="$3" want="$4" unwant="$5" async=""
    [ "$driver" = async ] && async="--async"
    local slog="$WORK/$driver-$name-our-server.log" clog="$WORK/$driver-$name-node-client.log"
    start_server "$slog" "^listening on " "$BIN" server 127.0.0.1:0 $async
    local port=${SERVER_LINE##*:}
    # shellcheck disable=SC2086
    timeout 120 "${PEER[@]}" client "ws://127.0.0.1:$port/" $flags >"$clog" 2>&1 \
        || { stop_server; die "ws client against our $driver server [$name]" "$clog" "$slog"; }
    stop_server
    # Our server reports every connection that ended in an error.
    ! grep -q "^interop server:" "$slog" || die "our $driver server [$name]" "$slog" "$clog"
    check_agreement "$clog" "negotiated: permessage-deflate" "$want" "$unwant" "$slog"
    grep -q "^$MESSAGES messages echoed byte-exact$" "$clog" || die "echo [$name]" "$clog" "$slog"
    local wire; wire=$(grep -m1 "^wire: " "$clog") || die "no wire line [$name]" "$clog"
    local total sent received
    total=$(sed -E 's/^wire: ([0-9]+) payload bytes each way, sent ([0-9]+), received ([0-9]+)$/\1/' <<<"$wire")
    sent=$(sed -E 's/^wire: ([0-9]+) payload bytes each way, sent ([0-9]+), received ([0-9]+)$/\2/' <<<"$wire")
    received=$(sed -E 's/^wire: ([0-9]+) payload bytes each way, sent ([0-9]+), received ([0-9]+)$/\3/' <<<"$wire")
    [ "$total" = "$PAYLOAD" ] || die "peer.js sent $total payload bytes, not $PAYLOAD (SIZES differ)" "$clog"
    check_wire "ws client [$name]" "$sent" "$received" "$clog" "$slog"
    echo "ok  ws client <-> our $driver server [$name $flags]: $(grep -m1 '^negotiated' "$clog"); wire bytes up $sent, down $received"
}

passed=0
for driver in sync async; do
    for scenario in "${NODE_SERVERS[@]}"; do
        IFS='|' read -r name flags want unwant <<<"$scenario"
        our_client "$driver" "$name" "$flags" "$want" "$unwant"
        passed=$((passed + 1))
    done
    for scenario in "${NODE_CLIENTS[@]}"; do
        IFS='|' read -r name flags want unwant <<<"$scenario"
        node_client "$driver" "$name" "$flags" "$want" "$unwant"
        passed=$((passed + 1))
    done
done
echo "interop-node: $passed passed, 0 failed"

#!/usr/bin/env bash
# Interop with Python `websockets` (pinned in requirements.txt), compression on:
# our client against its server and its client against our server, for each
# parameter set below, with the sync driver and with the async (tokio) one,
# over ws:// and (two of the sets) over wss://, and (two sets) through the
# axum extractor over HTTP/1.1 and HTTP/2. Every message (text and
# binary, 0 B to 1 MiB) must echo byte-exact and the agreed
# Sec-WebSocket-Extensions must carry the parameters.
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
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/interop"

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

# One scenario in both directions: our client against a websockets server,
# a websockets client against our server. With TLS=1, over wss:// with the
# certificate made for this run.
run_pair() { # name | our flags | python flags | wanted substrings
    local name="$1" ours="$2" theirs="$3" want="$4" scheme=ws our_tls="" py_tls=""
    read -r -a want_list <<<"$want"
    if [ "${TLS:-0}" = 1 ]; then
        scheme=wss
        our_tls="--ca $PKI/ca.pem"; our_server_tls="--tls $PKI/cert.pem $PKI/key.pem"
        py_tls="--ca $PKI/ca.pem"; py_server_tls="--tls $PKI/cert.pem $PKI/key.pem"
    else
        our_server_tls=""; py_server_tls=""
    fi

    # Our client -> websockets server.
    local log="$WORK/$name-python-server.log"
    # shellcheck disable=SC2086
    "$PY" "$HERE/peer.py" server $theirs $py_server_tls >"$log" 2>&1 &
    PIDS+=($!)
    wait_for "$log" "^port "
    local port; port=$(sed -n 's/^port //p' "$log")
    # shellcheck disable=SC2086
    timeout 120 "$BIN" client "$scheme://localhost:$port/" $ours $our_tls >"$WORK/$name-our-client.log" 2>&1 \
        || { echo "FAIL: our client ($name)"; cat "$WORK/$name-our-client.log" "$log"; exit 1; }
    expect "$WORK/$name-our-client.log" "${want_list[@]}"
    echo "ok  our client  <-> websockets server  [$name]: $(grep '^negotiated' "$WORK/$name-our-client.log")"

    # websockets client -> our server.
    log="$WORK/$name-our-server.log"
    # Python's client asks for client_max_window_bits without a value by default (0 here).
    local theirs_client="$theirs"; [[ "$theirs" == *--cmwb* ]] || theirs_client="$theirs --cmwb 0"
    # shellcheck disable=SC2086
    "$BIN" server 127.0.0.1:0 $ours $our_server_tls >"$log" 2>&1 &
    PIDS+=($!)
    wait_for "$log" "^listening on "
    port=$(sed -n 's/^listening on .*://p' "$log")
    # shellcheck disable=SC2086
    timeout 120 "$PY" "$HERE/peer.py" client "$scheme://localhost:$port/" $theirs_client $py_tls >"$WORK/$name-python-client.log" 2>&1 \
        || { echo "FAIL: websockets client ($name)"; cat "$WORK/$name-python-client.log" "$log"; exit 1; }
    expect "$WORK/$name-python-client.log" "${want_list[@]}"
    echo "ok  websockets client <-> our server   [$name]: $(grep '^negotiated' "$WORK/$name-python-client.log")"
    if [ "${TLS:-0}" = 1 ]; then
        grep -q "^tls: on" "$WORK/$name-our-client.log" || { echo "FAIL: our client did not use TLS"; exit 1; }
        grep -q "^tls: TLS" "$WORK/$name-python-client.log" || { echo "FAIL: websockets client did not use TLS"; exit 1; }
    fi
}

for driver in sync async; do
    for scenario in "${SCENARIOS[@]}"; do
        IFS='|' read -r name ours theirs want <<<"$scenario"
        [ "$driver" = async ] && ours="$ours --async"
        run_pair "$driver-$name" "$ours" "$theirs" "$want"
    done
done

# wss://: a CA and a certificate for localhost made for this run, then the
# default and the all-parameters scenario over TLS, both drivers.
PKI="$WORK/pki"
"$BIN" cert "$PKI" >/dev/null
for driver in sync async; do
    for scenario in "${SCENARIOS[0]}" "${SCENARIOS[4]}"; do
        IFS='|' read -r name ours theirs want <<<"$scenario"
        [ "$driver" = async ] && ours="$ours --async"
        TLS=1 run_pair "wss-$driver-$name" "$ours" "$theirs" "$want"
    done
done

# The web glue: our server through the axum extractor (`server --axum`:
# HTTP/1.1 and HTTP/2 on one port), met by the websockets client over
# HTTP/1.1 and by our HTTP/2 client (`client --h2`, RFC 8441 extended
# CONNECT), over ws:// (HTTP/2 with prior knowledge) and wss:// (ALPN).
run_axum() { # name | our flags | python flags | wanted substrings | tls (0/1)
    local name="$1" ours="$2" theirs="$3" want="$4" tls="$5" scheme=ws
    local server_tls="" our_tls="" py_tls=""
    read -r -a want_list <<<"$want"
    if [ "$tls" = 1 ]; then
        scheme=wss
        server_tls="--tls $PKI/cert.pem $PKI/key.pem"
        our_tls="--ca $PKI/ca.pem"; py_tls="--ca $PKI/ca.pem"
    fi
    local log="$WORK/$name-axum-server.log"
    # shellcheck disable=SC2086
    "$BIN" server 127.0.0.1:0 --axum $ours $server_tls >"$log" 2>&1 &
    PIDS+=($!)
    wait_for "$log" "^listening on "
    local port; port=$(sed -n 's/^listening on .*://p' "$log")

    local theirs_client="$theirs"; [[ "$theirs" == *--cmwb* ]] || theirs_client="$theirs --cmwb 0"
    # shellcheck disable=SC2086
    timeout 120 "$PY" "$HERE/peer.py" client "$scheme://localhost:$port/echo" $theirs_client $py_tls \
        >"$WORK/$name-python-client.log" 2>&1 \
        || { echo "FAIL: websockets client ($name)"; cat "$WORK/$name-python-client.log" "$log"; exit 1; }
    expect "$WORK/$name-python-client.log" "${want_list[@]}"
    echo "ok  websockets client <-> our axum server, HTTP/1.1 [$name]: $(grep '^negotiated' "$WORK/$name-python-client.log")"

    # shellcheck disable=SC2086
    timeout 120 "$BIN" client "$scheme://localhost:$port/echo" --h2 $ours $our_tls \
        >"$WORK/$name-h2-client.log" 2>&1 \
        || { echo "FAIL: our HTTP/2 client ($name)"; cat "$WORK/$name-h2-client.log" "$log"; exit 1; }
    expect "$WORK/$name-h2-client.log" "${want_list[@]}"
    grep -q "^http2: on" "$WORK/$name-h2-client.log" || { echo "FAIL: not over HTTP/2"; exit 1; }
    echo "ok  our HTTP/2 client <-> our axum server, RFC 8441 [$name]: $(grep '^negotiated' "$WORK/$name-h2-client.log")"
}

for tls in 0 1; do
    for scenario in "${SCENARIOS[0]}" "${SCENARIOS[4]}"; do
        IFS='|' read -r name ours theirs want <<<"$scenario"
        run_axum "axum-tls$tls-$name" "$ours" "$theirs" "$want" "$tls"
    done
done
echo "interop: all scenarios passed"

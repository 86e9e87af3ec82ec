#!/usr/bin/env bash
# A real browser against the axum example (ws-server/examples/axum.rs):
# headless Chromium loads its page over HTTPS and the page echoes text and
# binary messages up to 1 MiB through a wss:// WebSocket with
# permessage-deflate, checking every byte, then reports to the server.
#
#   case h2:      HTTP/2 (ALPN h2): the WebSocket must arrive as an RFC 8441
#                 extended CONNECT on the page's connection;
#   case http1.1: Chromium with --disable-http2: a GET + Upgrade.
#
# The server (`--expect VERSION`) exits 0 only if the page passed, the
# compression was agreed and every WebSocket came over VERSION. The
# certificate is made by the example at start; Chromium is told to take it
# (--ignore-certificate-errors), which does not change how it pools
# connections or picks the HTTP version.
# Installs Debian's chromium when it is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium (Debian's package)"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium >/dev/null
fi
chromium --version 2>/dev/null || true

cargo build -q -p sockwell-server --features axum --example axum
EXAMPLE="${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/axum"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT

run_case() { # version [chromium flags...]
    local version="$1"; shift
    local log="$WORK/server-$version.log"
    "$EXAMPLE" --tls --listen 127.0.0.1:0 --expect "$version" >"$log" 2>&1 &
    local server=$!
    PIDS+=("$server")
    for _ in $(seq 100); do grep -q "^listening on" "$log" && break; sleep 0.1; done
    local port
    port=$(sed -n 's/^listening on 127.0.0.1://p' "$log")
    [ -n "$port" ] || { echo "server did not start"; cat "$log"; return 1; }
    mkdir -p "$WORK/profile-$version"
    timeout 120 chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
        --ignore-certificate-errors --user-data-dir="$WORK/profile-$version" "$@" \
        "https://localhost:$port/" >"$WORK/chromium-$version.log" 2>&1 &
    local browser=$!
    PIDS+=("$browser")
    # The server exits when the page reports (or the bound runs out).
    local status=0
    if timeout 120 tail --pid="$server" -f /dev/null; then
        wait "$server" || status=$?
    else
        echo "no report from the page within 120 s"
        kill "$server" 2>/dev/null || true
        status=1
    fi
    kill "$browser" 2>/dev/null || true
    wait "$browser" 2>/dev/null || true
    cat "$log"
    if [ "$status" != 0 ]; then
        echo "browser case $version FAILED (status $status); Chromium said:"
        tail -20 "$WORK/chromium-$version.log"
        return 1
    fi
    echo "browser case $version: passed"
}

run_case h2
run_case http1.1 --disable-http2

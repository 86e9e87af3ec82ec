#!/usr/bin/env bash
# The echo load run behind the README's table: builds the echo servers and
# the load generator (release), runs every case ROUNDS times (interleaved),
# and writes benches/echo-load.{jsonl,md,svg}.
#
#   benches/echo-load.sh [ROUNDS] [SECONDS]     # default: 20 rounds of 0.5 s
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-20}"
SECS="${2:-0.5}"
cargo build --release -p benches --example echo_server --example echo_load
target/release/examples/echo_load --rounds "$ROUNDS" --secs "$SECS" \
    --json benches/echo-load.jsonl
python3 benches/echo-report.py benches/echo-load.jsonl --svg benches/echo-load.svg \
    | tee benches/echo-load.md

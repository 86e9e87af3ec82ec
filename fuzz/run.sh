#!/usr/bin/env bash
# Runs fuzz targets for a while each; stops at the first crash.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     # default: 20 s, every target
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). It passes
# nightly-only sanitizer flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain
# take them. Each target starts from its committed seeds (fuzz/seeds/T) and
# writes what it finds to fuzz/corpus/T (not committed); crashes land in
# fuzz/artifacts/T.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH="${1:-20}"
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    mapfile -t TARGETS < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t"
    echo "=== $t: ${SECONDS_EACH}s"
    cargo fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
        | grep -E "^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)|ERROR|panicked|SUMMARY|Test unit written|Done [0-9]+ runs" \
        || true
    # cargo fuzz exits non-zero on a crash; pipefail would hide which.
    if [ -n "$(find "artifacts/$t" -type f 2>/dev/null)" ]; then
        echo "=== $t: FOUND A CRASH (fuzz/artifacts/$t)"
        exit 1
    fi
done
echo "=== fuzzing: no crash in ${#TARGETS[@]} targets"

#!/usr/bin/env python3
"""Our speed against references, from criterion's saved estimates.

    cargo bench -p benches --bench mask --bench utf8 --bench roundtrip -- \
        --warm-up-time 1 --measurement-time 2
    python3 benches/criterion-report.py [target/criterion]

Prints Markdown tables (median estimates of the last run) for: masking
against memcpy of the same bytes (group `mask`), UTF-8 validation, ours
against simdutf8 (groups `utf8/*`), and the in-memory round trip through the
driver against tungstenite (groups `roundtrip/*`), each with its target.
Exits 1 if a figure is missing, so a partial run is not reported as whole.
"""

import json
import os
import sys

SIZES = ["16B", "1KiB", "64KiB", "1MiB"]


def load(root):
    """full_id -> (median ns, bytes per iteration or None)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        if not dirpath.endswith(os.sep + "new") or "estimates.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            est = json.load(f)
        thr = bench.get("throughput") or {}
        out[bench["full_id"]] = (est["median"]["point_estimate"], thr.get("Bytes"))
    return out


def rate(entry):
    ns, nbytes = entry
    gib = nbytes / ns * 1e9 / 2**30
    return f"{gib:.2f} GiB/s" if gib >= 1 else f"{gib * 1024:.0f} MiB/s"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
    est = load(root)
    missing = []

    def get(full_id):
        if full_id not in est:
            missing.append(full_id)
        return est.get(full_id)

    def table(title, header, rows):
        print(f"### {title}\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(r) + " |")
        print()

    # Masking: throughput ratio = memcpy time / apply_mask time.
    rows = []
    for size in SIZES:
        ours, ref = get(f"mask/apply_mask/{size}"), get(f"mask/memcpy/{size}")
        copy = est.get(f"mask/extend_masked/{size}")
        if ours and ref:
            goal = "≥ 0.5" if size == "64KiB" else ""
            rows.append([size, rate(ours), rate(copy) if copy else "–", rate(ref),
                         f"{ref[0] / ours[0]:.2f}×",
                         f"{ref[0] / copy[0]:.2f}×" if copy else "–", goal])
    table("Masking (`mask`): ours ÷ `memcpy` throughput",
          ["size", "apply_mask", "extend_masked", "memcpy", "apply_mask ratio",
           "extend_masked ratio", "target"], rows)

    rows = []
    for text in ["ascii_json", "multibyte"]:
        for size in ["1KiB", "64KiB", "1MiB"]:
            ours, ref = get(f"utf8/{text}/ours/{size}"), get(f"utf8/{text}/simdutf8/{size}")
            std = get(f"utf8/{text}/std/{size}")
            if ours and ref and std:
                rows.append([text, size, rate(ours), rate(ref), rate(std),
                             f"{ref[0] / ours[0]:.2f}×", "≥ 0.8"])
    table("UTF-8 (`utf8/*`): ours ÷ simdutf8 throughput",
          ["text", "size", "ours", "simdutf8", "std", "ratio", "target"], rows)

    rows = []
    for kind in ["text", "binary"]:
        for size in SIZES:
            drv = get(f"roundtrip/{kind}/ours/driver/{size}")
            tung = get(f"roundtrip/{kind}/tungstenite/{size}")
            if drv and tung:
                goal = "≥ 2" if size in ("16B", "1KiB") else "≥ 1.2"
                rows.append([kind, size, rate(drv), rate(tung),
                             f"{tung[0] / drv[0]:.2f}×", goal])
    table("Round trip (`roundtrip/*`): driver ÷ tungstenite throughput",
          ["payload", "size", "ours/driver", "tungstenite", "ratio", "target"], rows)

    if missing:
        print("missing from this run: " + ", ".join(missing), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

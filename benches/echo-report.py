#!/usr/bin/env python3
"""Turns the JSON lines of `echo_load --json FILE` into the README's table
(Markdown, on stdout) and a bar chart (SVG).

    python3 benches/echo-report.py results.jsonl --svg benches/echo-load.svg

Three tables: the server's CPU time per echoed message (lower is better),
as the median over the run's rounds and as the best round (the least
disturbed by a shared machine), and messages per second; then the ratios
of our servers' CPU per message to the references' (ours-async to
fastwebsockets and sockudo-ws, ours-sync to tungstenite; for the small-JSON
cases, our default to a kept zlib state and to sockudo-ws), each against
its target, on both statistics, with the median and
quartiles of the same ratio taken round by round (how far the machine's
noise moves it). The chart shows medians. For the compressed cases, a
fourth table: the compression ratio the load client saw on the echoes
(plain payload bytes per byte on the wire, frame headers included), where
the results have it.
"""

import argparse
import json
import statistics
from collections import OrderedDict

ORDER = [
    "ours-async", "ours-async-owned", "ours-async-none",
    "ours-sync", "ours-sync-owned", "ours-sync-none",
    "fastwebsockets", "sockudo-ws", "tokio-tungstenite", "tungstenite",
]
COLORS = {
    "ours-async": "#1f77b4",
    "ours-async-owned": "#17becf",
    "ours-async-none": "#aec7e8",
    "ours-sync": "#6baed6",
    "ours-sync-owned": "#9edae5",
    "ours-sync-none": "#c6dbef",
    "fastwebsockets": "#ff7f0e",
    "sockudo-ws": "#2ca02c",
    "tokio-tungstenite": "#9467bd",
    "tungstenite": "#8c564b",
}


def load(path):
    cases = OrderedDict()
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        cases.setdefault(r["case"], OrderedDict()).setdefault(r["impl"], []).append(r)
    medians = OrderedDict()
    for case, impls in cases.items():
        # Per round, each implementation's figure: for the spread of the
        # ratio between two implementations measured in the same round.
        by_round = {imp: {r["round"]: r["server_us_per_msg"] for r in rs} for imp, rs in impls.items()}
        medians[case] = OrderedDict()
        for imp in sorted(impls, key=lambda i: ORDER.index(i) if i in ORDER else 99):
            rs = impls[imp]
            medians[case][imp] = {
                "us": statistics.median(r["server_us_per_msg"] for r in rs),
                "best": min(r["server_us_per_msg"] for r in rs),
                "rate": statistics.median(r["msgs_per_s"] for r in rs),
                "rounds": len(rs),
                "by_round": by_round[imp],
                # Older results have no wire ratio.
                "wire": statistics.median(r["wire_ratio"] for r in rs)
                if all("wire_ratio" in r for r in rs) else None,
                "deflate": rs[0].get("deflate", False),
            }
    return medians


def table(medians):
    impls = [i for i in ORDER if any(i in m for m in medians.values())]
    rounds = max(v["rounds"] for m in medians.values() for v in m.values())

    def one(title, cell):
        out = [title, "", "| case | " + " | ".join(impls) + " |", "|---|" + "---:|" * len(impls)]
        for case, m in medians.items():
            cells = [cell(m[imp]) if imp in m else "–" for imp in impls]
            out.append(f"| {case} | " + " | ".join(cells) + " |")
        return "\n".join(out)

    tables = [
        one(f"Server CPU µs per echoed message, median of {rounds} interleaved rounds (lower is better):",
            lambda v: f"{v['us']:.2f}"),
        one(f"Server CPU µs per echoed message, best of the {rounds} rounds (the least disturbed):",
            lambda v: f"{v['best']:.2f}"),
        one(f"Echoed messages per second, median of {rounds} rounds:",
            lambda v: f"{v['rate'] / 1000:.1f}k"),
    ]
    compressed = OrderedDict(
        (case, m) for case, m in medians.items()
        if any(v["deflate"] and v["wire"] is not None for v in m.values()))
    if compressed:
        wire_impls = [i for i in ORDER if any(i in m for m in compressed.values())]
        out = ["Compression on the echoes: plain payload bytes per byte on the wire, frame headers "
               f"included, median of {rounds} rounds (higher is better):", "",
               "| case | " + " | ".join(wire_impls) + " |", "|---|" + "---:|" * len(wire_impls)]
        for case, m in compressed.items():
            cells = [f"{m[i]['wire']:.2f}" if i in m and m[i]["wire"] is not None else "–"
                     for i in wire_impls]
            out.append(f"| {case} | " + " | ".join(cells) + " |")
        tables.append("\n".join(out))
    return "\n\n".join(tables)


def ratios(medians):
    lines = []

    def ratio(case, ours, refs, target, what):
        m = medians.get(case)
        if not m or ours not in m:
            return
        present = [r for r in refs if r in m]
        if not present:
            return
        best = min(present, key=lambda r: m[r]["us"])
        x = m[ours]["us"] / m[best]["us"]
        best_b = min(present, key=lambda r: m[r]["best"])
        y = m[ours]["best"] / m[best_b]["best"]
        verdict = lambda v: "meets" if v <= target else "misses"
        # The same ratio round by round (both measured in that round): its
        # quartiles show how much of a difference the machine's noise is.
        a, b = m[ours]["by_round"], m[best]["by_round"]
        per_round = sorted(a[r] / b[r] for r in a if r in b)
        spread = ""
        if len(per_round) >= 4:
            q1, q2, q3 = statistics.quantiles(per_round, n=4)
            spread = f"; per round {q2:.2f} (quartiles {q1:.2f}–{q3:.2f})"
        lines.append(
            f"- {case}: {ours} / {best} = {x:.2f} on medians ({verdict(x)}), "
            f"{ours} / {best_b} = {y:.2f} on best rounds ({verdict(y)}){spread}; {what} ≤ {target}"
        )

    for case in ["100x20B", "500x20B", "100x1KiB"]:
        ratio(case, "ours-async", ["fastwebsockets", "sockudo-ws"], 1.1, "target")
    ratio("100x20B-8", "ours-async", ["sockudo-ws", "tokio-tungstenite", "fastwebsockets"], 1.5, "target")
    ratio("10x1MiB", "ours-async", ["fastwebsockets"], 1.0, "target")
    for case in medians:
        if case.startswith("json"):
            # Small JSON messages, each library's default permessage-deflate:
            # ours (context takeover kept as history) against owned zlib
            # states, and against sockudo-ws.
            ratio(case, "ours-async", ["ours-async-owned"], 1.25, "target")
            ratio(case, "ours-async", ["sockudo-ws"], 1.0, "target")
            ratio(case, "ours-sync", ["ours-sync-owned"], 1.25, "for comparison")
        elif not case.startswith("deflate"):
            ratio(case, "ours-sync", ["tungstenite"], 0.8, "target")
        else:
            ratio(case, "ours-async", ["sockudo-ws"], 1.0, "target")
    return "\n".join(lines)


def svg(medians, path):
    bar_h, gap, label_w, plot_w = 14, 10, 150, 520
    impls = [i for i in ORDER if any(i in m for m in medians.values())]
    rows = sum(len(m) for m in medians.values())
    height = 40 + rows * bar_h + len(medians) * (gap + 18) + 30 + 20 * ((len(impls) + 2) // 3)
    width = label_w + plot_w + 150
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">Echo load: server CPU per message, median of the rounds (lower is better; bars relative to the slowest in each case)</text>',
    ]
    y = 40
    for case, m in medians.items():
        parts.append(f'<text x="10" y="{y + 12}" font-weight="bold">{case}</text>')
        y += 18
        worst = max(v["us"] for v in m.values())
        for imp, v in m.items():
            w = max(1, plot_w * v["us"] / worst)
            parts.append(f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end">{imp}</text>')
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{COLORS.get(imp, "#777")}"/>')
            parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 11}">{v["us"]:.2f} µs</text>')
            y += bar_h
        y += gap
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--svg")
    a = p.parse_args()
    medians = load(a.results)
    print(table(medians))
    print()
    print(ratios(medians))
    if a.svg:
        svg(medians, a.svg)


if __name__ == "__main__":
    main()

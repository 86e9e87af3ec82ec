#!/usr/bin/env python3
"""The crates' floors, checked from `cargo metadata`: every dependency of a
workspace crate on another (normal, build or dev: tests, examples and doc
tests included) points to a lower floor, and none forms a cycle.

The floors (docs/ARCHITECTURE.md, "Crates"), bottom up. Crates on one floor
may not depend on each other, except where SIDEWAYS names the pair (a
dev-dependency of tests only, which does not make a cycle).
"""
import json
import subprocess
import sys

FLOORS = [
    ["sockwell-extensions"],
    ["sockwell-core", "sockwell-deflate", "custom-extension"],
    ["sockwell-handshake"],
    ["sockwell-tokio"],
    ["sockwell-client", "sockwell-server"],
    ["sockwell-cli", "autobahn", "benches"],
    ["sockwell-examples", "sockwell-cluster-chat"],
]
# sockwell-deflate's tests drive it through the engine (a dev-dependency).
SIDEWAYS = {("sockwell-deflate", "sockwell-core")}

floor = {name: i for i, names in enumerate(FLOORS) for name in names}
meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--no-deps"]))
members = {p["name"]: p for p in meta["packages"]}
problems = []
for name in members:
    if name not in floor:
        problems.append(f"{name}: no floor (add it to FLOORS)")
edges = {}
for name, package in members.items():
    for dep in package["dependencies"]:
        target = dep["name"]
        if target not in members:
            continue
        kind = dep["kind"] or "normal"
        edges.setdefault(name, set()).add(target)
        if name not in floor or target not in floor:
            continue
        if floor[target] < floor[name]:
            continue
        if floor[target] == floor[name] and (name, target) in SIDEWAYS:
            continue
        way = "up" if floor[target] > floor[name] else "sideways"
        problems.append(f"{name} -> {target} ({kind} dependency) points {way}")


def cycle_from(start):
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, ()):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


for name in members:
    cycle = cycle_from(name)
    if cycle:
        problems.append("cycle: " + " -> ".join(cycle))
        break

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(members)} crates on {len(FLOORS)} floors: "
      f"{sum(len(v) for v in edges.values())} dependencies, all pointing down, no cycle")

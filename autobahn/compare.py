#!/usr/bin/env python3
"""Compare an Autobahn|Testsuite report with the committed expected results.

Usage: compare.py ROLE REPORT_DIR EXPECTED_JSON [--update] [--cases PATTERN...]

ROLE is "server" (our server under wstest -m fuzzingclient) or "client" (our
client under wstest -m fuzzingserver). Every case's behavior, behaviorClose and
remoteCloseCode must equal the expected ones (durations are ignored); any
difference, better or worse, fails with exit status 1, so the expected file
always says where the code stands. --update rewrites the entries of the cases
that ran. --cases (default "*") limits the comparison to the expected cases
matching the patterns (wstest's syntax: "12.*", "6.4.3"); each of them must
have run.
"""
import fnmatch
import json
import sys
from collections import Counter

FIELDS = ("behavior", "behaviorClose", "remoteCloseCode")


def main():
    argv = sys.argv[1:]
    patterns = ["*"]
    if "--cases" in argv:
        i = argv.index("--cases")
        patterns = argv[i + 1:] or ["*"]
        argv = argv[:i]
    args = [a for a in argv if not a.startswith("--")]
    update = "--update" in argv
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    role, report_dir, expected_path = args
    with open(f"{report_dir}/index.json") as f:
        index = json.load(f)
    if len(index) != 1:
        print(f"expected one agent in the report, found {sorted(index)}", file=sys.stderr)
        return 2
    (agent, cases), = index.items()
    actual = {case: {k: result.get(k) for k in FIELDS} for case, result in cases.items()}

    try:
        with open(expected_path) as f:
            expected_all = json.load(f)
    except FileNotFoundError:
        expected_all = {}

    counts = Counter(r["behavior"] for r in actual.values())
    summary = ", ".join(f"{n} {b}" for b, n in sorted(counts.items()))
    print(f"{role} ({agent}): {len(actual)} cases: {summary}")

    if update:
        merged = dict(expected_all.get(role, {}))
        merged.update(actual)
        expected_all[role] = dict(sorted(merged.items(), key=lambda kv: case_key(kv[0])))
        with open(expected_path, "w") as f:
            json.dump(expected_all, f, indent=1, sort_keys=False)
            f.write("\n")
        print(f"updated {expected_path} [{role}]")
        return 0

    expected = {
        case: result
        for case, result in expected_all.get(role, {}).items()
        if any(fnmatch.fnmatchcase(case, p) for p in patterns)
    }
    diffs = []
    for case in sorted(set(expected) | set(actual), key=case_key):
        e, a = expected.get(case), actual.get(case)
        if e != a:
            diffs.append(f"  {case}: expected {e}, got {a}")
    if diffs:
        print(f"{len(diffs)} case(s) differ from {expected_path}:")
        print("\n".join(diffs))
        return 1
    print("matches the expected results")
    return 0


def case_key(case):
    return tuple(int(p) for p in case.split("."))


if __name__ == "__main__":
    sys.exit(main())

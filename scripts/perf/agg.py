#!/usr/bin/env python3
"""`perf script` output (on stdin) bucketed: each sample counts for the first of MARKERS
(comma-separated substrings) that a frame of its stack names, leaf first; `--under ROOT` counts
only the samples with a frame naming ROOT, and shows the leaf of those that match no marker.

    perf script -i DIR/perf.data | python3 scripts/perf/agg.py "orders::by_web_id,serde_json"
    perf script -i DIR/perf.data | python3 scripts/perf/agg.py --under recent_mail "sqlite3_step,hash"
"""
import collections
import sys

args = sys.argv[1:]
root = None
if args[:1] == ["--under"]:
    root, args = args[1], args[2:]
markers = args[0].split(",")
counts = collections.Counter()
total = 0


def count(stack):
    global total
    if not stack or (root and not any(root in f for f in stack)):
        return
    total += 1
    for frame in stack:
        for m in markers:
            if m in frame:
                counts[m] += 1
                return
    counts["(other) " + stack[0][:80] if root else "(other)"] += 1


stack = []
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        count(stack)
        stack = []
    elif line.startswith((" ", "\t")):
        # "addr symbol+off (dso)": the symbol and what follows.
        stack.append(line.strip().split(" ", 1)[-1])
count(stack)
for k, v in counts.most_common(25):
    print(f"{100 * v / max(total, 1):6.2f}% {k}")
print("samples", total)

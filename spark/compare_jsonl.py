#!/usr/bin/env python3
"""compare_jsonl.py EXPECTED ACTUAL: the same number of lines, each line byte-identical or,
parsed as JSON, identical except for probabilities that differ by at most 0.0001 (one unit of
the last printed digit; the tagger's floating-point sums depend on how sentences are batched
and on the thread count). Prints the counts; exit status 1 on any other difference."""
import json
import sys


def same(a, b, key=""):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], k) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, key) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and "robabilit" in key:
        return abs(a - b) <= 0.000101
    return a == b


with open(sys.argv[1], "rb") as f:
    expected = f.read().split(b"\n")
with open(sys.argv[2], "rb") as f:
    actual = f.read().split(b"\n")
if len(expected) != len(actual):
    sys.exit(f"FAIL: {len(expected) - 1} lines expected, {len(actual) - 1} written")
identical = close = 0
for number, (a, b) in enumerate(zip(expected, actual), 1):
    if a == b:
        identical += 1
    elif same(json.loads(a), json.loads(b)):
        close += 1
    else:
        sys.exit(f"FAIL: line {number} differs beyond the last digit of a probability")
identical -= 1  # the empty piece after the last newline
print(f"{identical} lines byte-identical, {close} with a probability 0.0001 apart, "
      f"{len(expected) - 1} in all")

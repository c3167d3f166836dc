#!/usr/bin/env python3
"""compare_jsonl.py EXPECTED ACTUAL: the same number of lines, each byte-identical (the
tagger's output for a line does not depend on how the input was cut into partitions, on the
sentences batched with it, or on the thread count). Prints the count; exit status 1 on the
first line that differs."""
import sys

with open(sys.argv[1], "rb") as f:
    expected = f.read().split(b"\n")
with open(sys.argv[2], "rb") as f:
    actual = f.read().split(b"\n")
if len(expected) != len(actual):
    sys.exit(f"FAIL: {len(expected) - 1} lines expected, {len(actual) - 1} written")
for number, (a, b) in enumerate(zip(expected, actual), 1):
    if a != b:
        sys.exit(f"FAIL: line {number} differs:\n  expected {a[:300]!r}\n  written  {b[:300]!r}")
print(f"{len(expected) - 1} lines byte-identical")

#!/usr/bin/env python3
"""Writes the Spark test input: the EWT test sentences (stdin) repeated COPIES times, with an
empty line and a line of invalid UTF-8 every 997 lines, to stdout as bytes."""
import sys

copies = int(sys.argv[1])
lines = sys.stdin.buffer.read().split(b"\n")
if lines and lines[-1] == b"":
    lines.pop()
out = sys.stdout.buffer
n = 0
for copy in range(copies):
    for line in lines:
        n += 1
        if n % 997 == 0:
            out.write(b"\n")
            out.write(b"caf\xe9 au lait \xff\xfe invalid " + str(n).encode() + b"\n")
        out.write(line + b"\n")

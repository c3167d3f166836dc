#!/usr/bin/env bash
# Checks a dist tarball: its `tagger` loads only the C/C++ runtime (ldd), and runs with an
# empty environment from another directory, finding the models beside itself.
set -euo pipefail
TARBALL=${1:-dist/tagger-linux-x86_64.tar.gz}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
tar -C "$TMP" -xzf "$TARBALL"
BIN=$(echo "$TMP"/tagger-*/tagger)
echo "== ldd $(basename "$(dirname "$BIN")")/tagger"
ldd "$BIN" | tee "$TMP/ldd.txt"
# Allowed: the vDSO, the loader, libc, libm, libstdc++, libgcc_s (and on older glibc the
# split-out libpthread, libdl, librt, libutil).
if grep -vE '^\s*(linux-vdso\.so|/lib64/ld-linux-x86-64\.so|lib(c|m|stdc\+\+|gcc_s|pthread|dl|rt|util)\.so)' "$TMP/ldd.txt" | grep -q .; then
    echo "FAIL: the dist binary loads other shared libraries:" >&2
    grep -vE '^\s*(linux-vdso\.so|/lib64/ld-linux-x86-64\.so|lib(c|m|stdc\+\+|gcc_s|pthread|dl|rt|util)\.so)' "$TMP/ldd.txt" >&2
    exit 1
fi
echo "== env -i tagger annotate (from /, empty environment)"
OUT=$(cd / && printf 'Alice Smith moved to Paris in 2019.\n\n\xff\xfe bad\n' |
    env -i "$BIN" annotate --format json --line-documents)
echo "$OUT" | cut -c1-160
[ "$(echo "$OUT" | wc -l)" = 3 ] || { echo "FAIL: expected 3 output lines" >&2; exit 1; }
echo "$OUT" | head -1 | grep -q '"ner":"B-PER"' || { echo "FAIL: no entity found" >&2; exit 1; }
echo "$OUT" | sed -n 2,3p | grep -c '"error"' | grep -qx 2 || { echo "FAIL: bad lines" >&2; exit 1; }
# The models (and the shared vector table) opened are the ones beside the binary (not a
# directory compiled in).
if command -v strace >/dev/null 2>&1; then
    opened=$(cd / && echo "Hello." | env -i strace -f -e trace=openat "$BIN" annotate 2>&1 >/dev/null |
        grep -oE '"[^"]*\.(model|vectors)"' | sort -u)
    echo "models opened: $(echo $opened)"
    if echo "$opened" | grep -v "^\"$(dirname "$BIN")/models/" | grep -q .; then
        echo "FAIL: a model was opened from outside the distribution" >&2; exit 1
    fi
fi
echo "dist check: OK"

#!/usr/bin/env bash
# `make dist`: dist/tagger-VERSION-linux-x86_64.tar.gz, a self-contained `tagger` for Linux
# x86-64 (Swift runtime, Foundation, OpenBLAS, libgfortran, libquadmath, utf8proc and zlib
# linked statically; only the C/C++ runtime is loaded from the system), with the shipped
# models, the tokenizer lexicon bundle and the licences.
#
# How the static link is made without touching Package.swift:
# - the system-library targets get their flags from pkg-config; `--pkg-config-path` points
#   at .build-dist/pkgconfig, whose openblas/libutf8proc/zlib .pc files name only
#   .build-dist/static-libs, a folder holding nothing but the Debian `.a` archives, so every
#   -l (also the ones the module maps autolink) resolves to an archive;
# - the sources are copied to a scratch folder outside the repository (the same path every
#   time, so builds are incremental) and built from there, then the copy is removed: the
#   package's models/ directory compiled into the binary (#filePath) then does not exist
#   on any machine, and the binary finds the models beside itself.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SWIFT=${SWIFT:-swift}
VERSION=${VERSION:-$(git describe --always --dirty 2>/dev/null || echo unknown)}
SCRATCH=$ROOT/.build-dist
SRC=${DIST_SRC:-/tmp/tagger-dist-src}
NAME=tagger-$VERSION-linux-x86_64
LIBDIR=/usr/lib/x86_64-linux-gnu
GCCDIR=$(dirname "$(gcc -print-file-name=libgfortran.a)")

mkdir -p "$SCRATCH/static-libs" "$SCRATCH/pkgconfig" dist
for a in "$LIBDIR/openblas-pthread/libopenblas.a" "$GCCDIR/libgfortran.a" "$GCCDIR/libquadmath.a" \
    "$LIBDIR/libutf8proc.a" "$LIBDIR/libz.a"; do
    [ -f "$a" ] || { echo "dist: $a is missing (make dist-setup installs it)" >&2; exit 1; }
    ln -sf "$a" "$SCRATCH/static-libs/"
done
S=$SCRATCH/static-libs
printf 'Name: openblas\nDescription: OpenBLAS (static)\nVersion: 0.3\nLibs: -L%s -lopenblas -lgfortran -lquadmath -lm -lpthread\nCflags: -I/usr/include/x86_64-linux-gnu/openblas-pthread/\n' "$S" \
    > "$SCRATCH/pkgconfig/openblas.pc"
printf 'Name: libutf8proc\nDescription: utf8proc (static)\nVersion: 2\nLibs: -L%s -lutf8proc\nCflags: -DUTF8PROC_STATIC\n' "$S" \
    > "$SCRATCH/pkgconfig/libutf8proc.pc"
printf 'Name: zlib\nDescription: zlib (static)\nVersion: 1\nLibs: -L%s -lz\nCflags:\n' "$S" \
    > "$SCRATCH/pkgconfig/zlib.pc"

# The sources, copied with their times kept (so an unchanged file is not rebuilt).
rm -rf "$SRC"
mkdir -p "$SRC"
tar -C "$ROOT" -cf - Package.swift Sources Tests Fuzz | tar -C "$SRC" -xpf -
trap 'rm -rf "$SRC"' EXIT
(cd "$SRC" && "$SWIFT" build -c release --product tagger --static-swift-stdlib \
    --scratch-path "$SCRATCH" --pkg-config-path "$SCRATCH/pkgconfig")

STAGE=$SCRATCH/stage/$NAME
rm -rf "$SCRATCH/stage"
mkdir -p "$STAGE/models" "$STAGE/LICENSES"
cp "$SCRATCH/release/tagger" "$STAGE/tagger"
strip "$STAGE/tagger"
# The tokenizer lexicon (a SwiftPM resource bundle, looked for beside the executable).
cp -r "$SCRATCH/release/SequenceTagging_Tokenization.resources" "$STAGE/"
# The models and the shared vector table they read their unchanged word vectors from.
cp models/*.model models/*.vectors models/README.md "$STAGE/models/"
[ -f models/sentence-en.md ] && cp models/sentence-en.md "$STAGE/models/"
cp spark/LICENSES.md "$STAGE/LICENSES/README.md"
cp /opt/swift/usr/share/swift/LICENSE.txt "$STAGE/LICENSES/swift-runtime-Apache-2.0.txt" 2>/dev/null ||
    cp /usr/share/common-licenses/Apache-2.0 "$STAGE/LICENSES/swift-runtime-Apache-2.0.txt"
cp /usr/share/doc/libopenblas0-pthread/copyright "$STAGE/LICENSES/OpenBLAS-BSD-3-Clause.txt"
cp /usr/share/doc/libutf8proc2/copyright "$STAGE/LICENSES/utf8proc-MIT.txt"
cp /usr/share/doc/zlib1g/copyright "$STAGE/LICENSES/zlib.txt"
cp /usr/share/doc/libgfortran5/copyright "$STAGE/LICENSES/libgfortran-libquadmath-GPL-3-with-GCC-runtime-exception.txt"
cp corpora/ud-english-ewt/LICENSE.txt "$STAGE/LICENSES/CC-BY-SA-4.0.txt" 2>/dev/null || true
echo "$VERSION" > "$STAGE/VERSION"
tar -C "$SCRATCH/stage" -czf "dist/$NAME.tar.gz" "$NAME"
ln -sf "$NAME.tar.gz" dist/tagger-linux-x86_64.tar.gz
echo "dist/$NAME.tar.gz ($(du -h "dist/$NAME.tar.gz" | cut -f1))"

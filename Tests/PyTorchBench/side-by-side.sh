#!/bin/bash
# Training speed of the reference network against the PyTorch reference
# implementation of the same network, on the same cores, one after the other:
# a PyTorch epoch, then ROUNDS rounds of two epochs of `tagger train pos` (its faster epoch
# counts, as in `tagger benchmark ref`) each followed by another PyTorch epoch. Each of our
# runs is compared with the PyTorch epochs right before and right after it, so that a slow
# phase of the host weighs on both sides of a ratio; the medians of the session close the
# table. Both train on EWT UPOS with 2 threads; ours scores 50 dev sentences after each epoch,
# outside the timed part, as PyTorch scores its dev split.
#
# Usage: side-by-side.sh TAGGER CORPORA REFERENCE PYTHON ROUNDS
#   REFERENCE: the folder of the PyTorch reference (`tagger.py`)
#   PYTHON:    a Python with torch and numpy installed
set -euo pipefail

if [ $# -ne 5 ]; then
    echo "usage: $0 TAGGER CORPORA REFERENCE PYTHON ROUNDS" >&2
    exit 2
fi
TAGGER=$1 CORPORA=$2 REFERENCE=$3 PYTHON=$4 ROUNDS=$5
EWT=$CORPORA/ud-english-ewt

[ -x "$TAGGER" ] || { echo "$0: no executable at $TAGGER" >&2; exit 2; }
for split in train dev; do
    [ -r "$EWT/$split.conllu" ] || { echo "$0: cannot read $EWT/$split.conllu" >&2; exit 2; }
done
[ -r "$REFERENCE/tagger.py" ] || {
    echo "$0: no PyTorch reference at $REFERENCE (tagger.py); set PYTORCH_REFERENCE" >&2
    exit 2
}
"$PYTHON" -c 'import torch, numpy' 2>/dev/null || {
    echo "$0: $PYTHON cannot import torch and numpy; make a virtual environment outside" \
        "the project (python3 -m venv DIR; DIR/bin/pip install torch numpy) and set" \
        "PYTORCH_PYTHON=DIR/bin/python" >&2
    exit 2
}
case $ROUNDS in '' | *[!0-9]* | 0)
    echo "$0: ROUNDS must be a positive whole number, got '$ROUNDS'" >&2
    exit 2
    ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
REFERENCE=$(cd "$REFERENCE" && pwd)
EWT=$(cd "$EWT" && pwd)

# The first 50 sentences of dev: ours scores them after each epoch (untimed).
awk 'BEGIN { n = 0 } { print } /^$/ { if (++n == 50) exit }' "$EWT/dev.conllu" >"$work/dev50.conllu"

# One PyTorch epoch; prints its training tokens per second.
pytorch_epoch() {
    local out=$work/pytorch-$1
    (cd "$REFERENCE" && "$PYTHON" tagger.py train --task upos --data "$EWT" --out "$out" \
        --epochs 1 --threads 2 --time-budget 900) >"$work/pytorch-$1.log" 2>&1 || {
        echo "$0: the PyTorch epoch failed; its output:" >&2
        tail -20 "$work/pytorch-$1.log" >&2
        exit 1
    }
    local rate
    rate=$({ grep -oE '"train_tok_per_s": [0-9.]+' "$work/pytorch-$1.log" || true; } \
        | tail -1 | awk '{ printf "%.0f", $2 }')
    [ -n "$rate" ] || { echo "$0: no train_tok_per_s in the PyTorch output" >&2; exit 1; }
    echo "$rate"
}

# Two epochs of `tagger train pos`; prints the faster epoch's training tokens per second.
our_epochs() {
    "$TAGGER" train pos --train "$EWT/train.conllu" --dev "$work/dev50.conllu" --epochs 2 \
        --threads 2 --output "$work/model-$1" >"$work/ours-$1.log" 2>&1 || {
        echo "$0: tagger train failed; its output:" >&2
        tail -20 "$work/ours-$1.log" >&2
        exit 1
    }
    local rate
    rate=$(tr '\r' '\n' <"$work/ours-$1.log" | { grep -E '^epoch [0-9]+:' || true; } \
        | { grep -oE '[0-9]+ training tokens/s' || true; } \
        | awk '$1 > best { best = $1 } END { print best }')
    [ -n "$rate" ] || { echo "$0: no training tokens/s in tagger's output" >&2; exit 1; }
    echo "$rate"
}

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores;" \
    "2 threads each, batch 32 sentences, EWT train ($(date -u +%Y-%m-%dT%H:%MZ))"
before=$(pytorch_epoch 0)
ours=() pytorch=("$before")
printf '%-6s %14s %14s %14s   %s\n' round "PyTorch before" "ours (best/2)" "PyTorch after" \
    "over PyTorch before / after"
for round in $(seq 1 "$ROUNDS"); do
    mine=$(our_epochs "$round")
    after=$(pytorch_epoch "$round")
    ours+=("$mine")
    pytorch+=("$after")
    printf '%-6s %14s %14s %14s   %s / %s\n' "$round" "$before" "$mine" "$after" \
        "$(awk -v a="$mine" -v b="$before" 'BEGIN { printf "%.2f", a / b }')" \
        "$(awk -v a="$mine" -v b="$after" 'BEGIN { printf "%.2f", a / b }')"
    before=$after
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ourMedian=$(median "${ours[@]}")
theirMedian=$(median "${pytorch[@]}")
echo "median: ours $ourMedian tokens/s, PyTorch $theirMedian tokens/s:" \
    "$(awk -v a="$ourMedian" -v b="$theirMedian" 'BEGIN { printf "%.2f", a / b }') times"

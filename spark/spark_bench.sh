#!/usr/bin/env bash
# make spark-bench: the EWT test text repeated to about a million tokens, annotated by
# local[1] and local[2] (one tagger thread per task) and by one `tagger annotate
# --line-documents --threads 2` process; tokens per second and peak memory.
set -euo pipefail
TARBALL=${1:-dist/tagger-linux-x86_64.tar.gz}
CORPORA=${2:-corpora}
SPARK_SUBMIT=${SPARK_SUBMIT:-.build-spark/venv/bin/spark-submit}
WORK=.build-spark/bench
rm -rf "$WORK" && mkdir -p "$WORK/bin"
tar -C "$WORK/bin" -xzf "$TARBALL"
TAGGER=$(echo "$WORK"/bin/tagger-*/tagger)
sed -n 's/^# text = //p' "$CORPORA/ud-english-ewt/test.conllu" | python3 spark/make_input.py ${COPIES:-47} > "$WORK/input.txt"
tokens=$(wc -w < "$WORK/input.txt")
echo "input: $(wc -l < "$WORK/input.txt") lines, $tokens white-space tokens"
export PYSPARK_PYTHON=$PWD/$(dirname "$SPARK_SUBMIT")/python
measure() {  # measure NAME command...: wall time, tokens/s and peak RSS of the process tree
    local name=$1; shift
    local t0 t1; t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$WORK/$name.rss" "$@" > "$WORK/$name.out" 2> "$WORK/$name.log"
    t1=$(date +%s.%N)
    local s; s=$(echo "$t1 - $t0" | bc)
    printf '%-28s %7.1f s  %8.0f tokens/s\n' "$name" "$s" "$(echo "$tokens / $s" | bc -l)"
}
measure "tagger --threads 2" "$TAGGER" annotate --format json --line-documents --threads 2 --input-file "$WORK/input.txt"
measure "tagger --threads 1" "$TAGGER" annotate --format json --line-documents --threads 1 --input-file "$WORK/input.txt"
for m in 1 2; do
    measure "spark local[$m]" "$SPARK_SUBMIT" --master "local[$m]" --conf spark.ui.enabled=false \
        --archives "$TARBALL#tagger" spark/annotate_corpus.py --partitions $((2 * m)) \
        "$WORK/input.txt" "$WORK/out-$m"
done
echo "peak RSS of one tagger process (--threads 1 run): $(( $(cat "$WORK/tagger --threads 1.rss") / 1024 )) MiB"

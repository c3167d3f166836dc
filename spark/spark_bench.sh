#!/usr/bin/env bash
# make spark-bench: the EWT test text repeated to about TOKENS white-space tokens (5 million
# by default, so that Spark's start-up of about 8 s weighs little), annotated by one
# `tagger annotate --line-documents` process with 2 threads and with 1, and by the Spark job
# on local[1] and local[2] (one tagger thread per task, two partitions per core). Prints each
# run's wall time and tokens per second, the Spark job's rate without its start-up (the
# annotation stage alone), the two ratios the job is judged by, and peak memory.
set -euo pipefail
TARBALL=${1:-dist/tagger-linux-x86_64.tar.gz}
CORPORA=${2:-corpora}
TOKENS=${TOKENS:-5000000}
SPARK_SUBMIT=${SPARK_SUBMIT:-.build-spark/venv/bin/spark-submit}
WORK=.build-spark/bench
rm -rf "$WORK" && mkdir -p "$WORK/bin"
tar -C "$WORK/bin" -xzf "$TARBALL"
TAGGER=$(echo "$WORK"/bin/tagger-*/tagger)
sed -n 's/^# text = //p' "$CORPORA/ud-english-ewt/test.conllu" > "$WORK/sentences.txt"
copies=$(( (TOKENS + $(wc -w < "$WORK/sentences.txt") - 1) / $(wc -w < "$WORK/sentences.txt") ))
python3 spark/make_input.py "$copies" < "$WORK/sentences.txt" > "$WORK/input.txt"
tokens=$(wc -w < "$WORK/input.txt")
echo "input: $(wc -l < "$WORK/input.txt") lines, $tokens white-space tokens; $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p')"
export PYSPARK_PYTHON=$PWD/$(dirname "$SPARK_SUBMIT")/python
declare -A RATE
measure() {  # measure NAME command...: wall time, tokens/s and peak RSS (largest process)
    local name=$1; shift
    local t0 t1; t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$WORK/$name.rss" "$@" > /dev/null 2> "$WORK/$name.log"
    t1=$(date +%s.%N)
    local s; s=$(python3 -c "print($t1 - $t0)")
    RATE[$name]=$(python3 -c "print($tokens / $s)")
    printf '%-20s %7.1f s  %8.0f tokens/s  peak RSS %5d MiB\n' "$name" "$s" "${RATE[$name]}" \
        $(( $(tail -1 "$WORK/$name.rss") / 1024 ))
}
measure "tagger --threads 2" "$TAGGER" annotate --format json --line-documents --threads 2 --input-file "$WORK/input.txt"
measure "tagger --threads 1" "$TAGGER" annotate --format json --line-documents --threads 1 --input-file "$WORK/input.txt"
for m in 1 2; do
    measure "spark local[$m]" "$SPARK_SUBMIT" --master "local[$m]" --conf spark.ui.enabled=false \
        --archives "$TARBALL#tagger" spark/annotate_corpus.py --partitions $((2 * m)) \
        "$WORK/input.txt" "$WORK/out-$m"
    stage=$(sed -n 's/.*Job [0-9]* finished: runJob at SparkHadoopWriter.*took \([0-9.]*\) s/\1/p' "$WORK/spark local[$m].log")
    printf '%-20s %7.1f s  %8.0f tokens/s  (the annotation stage alone)\n' "" "$stage" "$(python3 -c "print($tokens / $stage)")"
    [ "$(cat "$WORK/out-$m"/part-* | wc -l)" -eq "$(wc -l < "$WORK/input.txt")" ] ||
        { echo "FAIL: spark local[$m] wrote $(cat "$WORK/out-$m"/part-* | wc -l) records" >&2; exit 1; }
    rm -rf "$WORK/out-$m"
done
python3 - "${RATE[spark local[1]]}" "${RATE[spark local[2]]}" "${RATE[tagger --threads 2]}" <<'PY'
import sys
one, two, tagger = map(float, sys.argv[1:])
print(f"local[2] / local[1]: {two / one:.2f}x; local[2] / one tagger process with 2 threads: {100 * two / tagger:.0f}%")
PY

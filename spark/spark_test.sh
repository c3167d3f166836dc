#!/usr/bin/env bash
# make spark-test: on local[2], the Spark job's output (its part files concatenated) is
# the same as one `tagger annotate --format json --line-documents --threads 1` process on the same
# input: the EWT test text repeated to about 100,000 tokens, with empty and invalid UTF-8
# lines, byte for byte (records, tags, probabilities, offsets, errors with their line
# numbers; see spark/compare_jsonl.py); then the same with partition 0's first attempt made
# to fail (retried by Spark).
set -euo pipefail
TARBALL=${1:-dist/tagger-linux-x86_64.tar.gz}
CORPORA=${2:-corpora}
SPARK_SUBMIT=${SPARK_SUBMIT:-.build-spark/venv/bin/spark-submit}
WORK=${SPARK_TEST_DIR:-.build-spark/test}
rm -rf "$WORK" && mkdir -p "$WORK/bin"
tar -C "$WORK/bin" -xzf "$TARBALL"
TAGGER=$(echo "$WORK"/bin/tagger-*/tagger)
sed -n 's/^# text = //p' "$CORPORA/ud-english-ewt/test.conllu" | python3 spark/make_input.py 5 > "$WORK/input.txt"
expected_bad=$(( 2 * ($(wc -l < "$WORK/input.txt") / 998) ))
echo "input: $(wc -l < "$WORK/input.txt") lines, $(wc -w < "$WORK/input.txt") white-space tokens"
start=$(date +%s.%N)
"$TAGGER" annotate --format json --line-documents --threads 1 < "$WORK/input.txt" > "$WORK/expected.jsonl"
echo "one process (1 thread): $(echo "$(date +%s.%N) - $start" | bc) s"
export PYSPARK_PYTHON=$PWD/$(dirname "$SPARK_SUBMIT")/python
run() {  # run NAME MASTER [job options]
    local name=$1 master=$2; shift 2
    local t0; t0=$(date +%s.%N)
    "$SPARK_SUBMIT" --master "$master" --conf spark.ui.enabled=false \
        --archives "$TARBALL#tagger" spark/annotate_corpus.py "$@" \
        "$WORK/input.txt" "$WORK/$name" 2> "$WORK/$name.log" | tee "$WORK/$name.summary"
    echo "$name: $(echo "$(date +%s.%N) - $t0" | bc) s"
    cat "$WORK/$name"/part-* > "$WORK/$name.jsonl"
    python3 spark/compare_jsonl.py "$WORK/expected.jsonl" "$WORK/$name.jsonl"
    grep -q "\"badRecords\": $expected_bad," "$WORK/$name.summary" ||
        { echo "FAIL: $name: expected $expected_bad bad records" >&2; exit 1; }
    echo "$name: same as one process ($(wc -l < "$WORK/$name.jsonl") lines, $expected_bad error records)"
}
run plain 'local[2]' --partitions 4
# local[N,F]: F attempts per task (plain local[N] never retries).
run fail-once 'local[2,2]' --partitions 4 --fail-once
grep -q "fault injection" "$WORK/fail-once.log" || { echo "FAIL: the injected failure did not happen" >&2; exit 1; }
echo "spark-test: OK"

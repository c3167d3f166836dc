#!/bin/sh
# `make serve-bench`: tagger serve under wrk on loopback against the pipeline in process.
# Usage: serve-bench.sh TAGGER CORPORA [SECONDS]
set -eu
TAGGER=$1
CORPORA=$2
SECONDS_EACH=${3:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
. "$HERE/common.sh"

# The texts: the raw sentences of UD English EWT test (one a line), 1 kB paragraphs of them,
# and one sentence of exactly 20 words.
make_texts
echo "The old farmer and his two sons walked slowly along the dusty road to the market in town this morning." \
  > "$WORK/twenty.txt"

echo "== In process: the pipeline's batch-32 rate (tagger benchmark ref --no-training --threads 1)"
CORPORA=$CORPORA "$TAGGER" benchmark ref --no-training --threads 1 --repetitions 3 --json > "$WORK/ref.json"
INPROCESS=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); rows=[x for x in r["pipeline"]["rows"] if x["components"]=="pos,ner,sentiment" and x["threads"]==1]; print("%.0f" % rows[0]["tokensPerSecond"])' "$WORK/ref.json")
echo "pipeline pos,ner,sentiment, 1 thread, batch 32: $INPROCESS tokens/s"

start_server
rss() { awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' /proc/$SERVER/status; }
words() { curl -s "$URL/metrics" | awk '/^tagger_words_annotated_total/ { print $2 }'; }
run() { # name connections texts split
  before=$(words)
  BENCH_TEXTS=$3 BENCH_SPLIT=$4 wrk -t"$(( $2 < 2 ? 1 : 2 ))" -c"$2" -d"${SECONDS_EACH}s" --timeout 10s -s "$HERE/annotate.lua" "$URL" > "$WORK/wrk.txt"
  after=$(words)
  rate=$(awk -v a="$after" -v b="$before" -v s="$SECONDS_EACH" 'BEGIN { printf "%.0f", (a - b) / s }')
  echo "$1: $rate tokens/s; $(tail -1 "$WORK/wrk.txt"); $(grep Requests/sec "$WORK/wrk.txt" | tr -s ' ')"
  RATE=$rate
}
echo "== Served: tagger serve on $URL, wrk ${SECONDS_EACH} s each"
echo "resident memory before: $(rss)"
run "idle, 1 connection, one 20-word sentence" 1 "$WORK/twenty.txt" false
run "64 connections, single sentences" 64 "$WORK/sentences.txt" false
SENTENCE_RATE=$RATE
run "64 connections, 1 kB paragraphs (split into sentences)" 64 "$WORK/paragraphs.txt" true
echo "resident memory after: $(rss)"
awk -v s="$SENTENCE_RATE" -v p="$INPROCESS" 'BEGIN { printf "served single sentences / in-process batch 32: %.0f%%\n", 100 * s / p }'
curl -s "$URL/metrics" | grep -E '^tagger_batch_requests_(sum|count)|^tagger_queue_length_max'
kill -TERM $SERVER; wait $SERVER && echo "server exited 0 on SIGTERM"

#!/bin/sh
# `make serve-soak`: tagger serve under a steady mixed load for SECONDS (600 by default):
# 56 connections of single sentences and 8 of 1 kB paragraphs, both from wrk on loopback.
# Prints resident memory every 30 s (sampled every 10 s), the errors of both clients, and the
# growth of resident memory: the peak of the last minute against the peak of the second
# minute (after the first full batches have sized the buffers; single samples swing by
# about 10% with the batch in progress), and against the idle start. Fails on any error or
# on growth of 10% or more after warm-up.
# Usage: serve-soak.sh TAGGER CORPORA [SECONDS]
set -eu
TAGGER=$1
CORPORA=$2
DURATION=${3:-600}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
. "$HERE/common.sh"

make_texts

start_server
rss() { awk '/VmRSS/ { print int($2 / 1024) }' /proc/$SERVER/status; }

START=$(rss)
echo "== tagger serve on $URL for $DURATION s: 56 connections of sentences, 8 of 1 kB paragraphs"
echo "resident memory at start: $START MB"
BENCH_TEXTS="$WORK/sentences.txt" BENCH_SPLIT=false wrk -t1 -c56 -d"${DURATION}s" --timeout 10s \
  -s "$HERE/annotate.lua" "$URL" > "$WORK/sentences.wrk" &
SENTENCES=$!
BENCH_TEXTS="$WORK/paragraphs.txt" BENCH_SPLIT=true wrk -t1 -c8 -d"${DURATION}s" --timeout 10s \
  -s "$HERE/annotate.lua" "$URL" > "$WORK/paragraphs.wrk" &
PARAGRAPHS=$!
WARM=0 LAST=0
elapsed=0
while [ $elapsed -lt "$DURATION" ]; do
  sleep 10
  elapsed=$((elapsed + 10))
  now=$(rss)
  if [ $elapsed -gt 60 ] && [ $elapsed -le 120 ] && [ "$now" -gt $WARM ]; then WARM=$now; fi
  if [ $elapsed -gt $((DURATION - 60)) ] && [ "$now" -gt $LAST ]; then LAST=$now; fi
  [ $((elapsed % 30)) -eq 0 ] && echo "${elapsed} s: $now MB"
done
wait $SENTENCES $PARAGRAPHS
echo "sentences: $(tail -1 "$WORK/sentences.wrk"); $(grep Requests/sec "$WORK/sentences.wrk" | tr -s ' ')"
echo "paragraphs: $(tail -1 "$WORK/paragraphs.wrk"); $(grep Requests/sec "$WORK/paragraphs.wrk" | tr -s ' ')"
[ $WARM -gt 0 ] || WARM=$START
awk -v s="$START" -v w="$WARM" -v e="$LAST" 'BEGIN {
  printf "resident memory: %d MB at start, peak %d MB in the second minute, peak %d MB in the last minute: %+.1f%% after warm-up, %+.1f%% since the start\n", s, w, e, 100 * (e - w) / w, 100 * (e - s) / s }'
kill -TERM $SERVER; wait $SERVER && echo "server exited 0 on SIGTERM"
status=0
for f in "$WORK/sentences.wrk" "$WORK/paragraphs.wrk"; do
  grep -q " 0 errors" "$f" || { echo "FAIL: errors in $(basename "$f" .wrk)"; status=1; }
done
awk -v w="$WARM" -v e="$LAST" 'BEGIN { exit !(e < 1.1 * w) }' ||
  { echo "FAIL: resident memory grew by 10% or more after warm-up"; status=1; }
exit $status

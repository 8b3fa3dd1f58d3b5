# entra-kri: `make demo` and `make test` are all a new user needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_CASSETTE := fixtures/demo/cassette.yaml
DEMO_ROOT     := snapshots/demo
SIZE       ?= S,M
BENCH_ARGS ?=
CA_BENCH   ?= 1000000 200

.PHONY: help install install-spark install-azurite demo test lint record-cassettes bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml fake_graph/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e ./fake_graph
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install entra-kri, its test tools and the Graph fake

install-spark: $(STAMP) ## Also install pyspark, so the tests run the fleet questions on Spark (Java 17)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'

# Azurite, Microsoft's local Azure Blob server (Node.js), for the tests of az:// roots.
AZURITE_VERSION ?= 3.35.0

install-azurite: $(STAMP) ## Also install Azurite (Node.js 18+), so the tests run the object-store cases on Azure Blob too
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node azurite@$(AZURITE_VERSION)

demo: $(STAMP) ## Replay the demo tenant into ./snapshots/demo and print its KRIs
	rm -rf $(DEMO_ROOT)
	$(BIN)/entra-kri snapshot --replay $(DEMO_CASSETTE) --out $(DEMO_ROOT) > $(VENV)/demo-path
	$(BIN)/entra-kri kri "$$(cat $(VENV)/demo-path)"
	@echo "The accounts behind a value: $(BIN)/entra-kri explain $$(cat $(VENV)/demo-path) entra_privileged_no_mfa_count"

test: $(STAMP) ## Run the whole test suite with the network blocked
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff over the code and tests
	$(BIN)/ruff check entra_kri snapshotter analysis fake_graph tests bench

record-cassettes: $(STAMP) ## Re-record the demo and test cassettes from the local Graph fake
	$(BIN)/python -m pytest tests/test_record_cassettes.py --record-mode=rewrite --run-recording

bench: $(STAMP) ## Benchmark capture and analysis on synthetic tenants (SIZE=S,M; SIZE=L on request)
	$(BIN)/python -m bench --sizes $(SIZE) $(BENCH_ARGS)
	$(BIN)/python -m bench.ca_resolver $(CA_BENCH)

clean: ## Remove .venv, ./snapshots and bench/work
	rm -rf $(VENV) snapshots bench/work

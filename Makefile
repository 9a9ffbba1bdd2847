# The two commands of the README: `make review-demo` (install + run) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint bench

$(BIN)/ci-orch: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/ci-orch

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: install lint
	bash scripts/install-test-deps.sh
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/plan_bench.py
	$(BIN)/python bench/scale_bench.py
	$(BIN)/python bench/routing_scheduling.py
	$(BIN)/python bench/routing_failover.py
	$(BIN)/python bench/routing_budget.py
	$(BIN)/python bench/routing_faults.py --all
	$(BIN)/python bench/routing_overbilling.py
	$(BIN)/python bench/routing_concurrency.py
	$(BIN)/python bench/corpus/releases/fetch.py
	$(BIN)/python bench/gate_bench.py
	$(BIN)/python bench/secrets_bench.py
	$(BIN)/python bench/egress_bench.py
	$(BIN)/python bench/incremental_bench.py
	$(BIN)/python bench/eval_replay.py
	$(BIN)/python bench/eval_compare_bench.py
	$(BIN)/python bench/spend_aggregate.py
	$(BIN)/python bench/action_startup.py

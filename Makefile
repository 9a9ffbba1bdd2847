# The two commands of the README: `make install` (then `ci-orch plan` on a sample diff) and `make test`.
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

# Every benchmark in its own process, then one table of every figure next to its goal
# (bench/run_all.py --markdown prints it as the README's benchmark table).
bench: install
	$(BIN)/python bench/run_all.py

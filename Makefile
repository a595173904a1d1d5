# OpsHub: `make run` and `make test` are the whole set-up on a fresh Debian machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-test lint typecheck audit unit bench clean

$(BIN)/hub: pyproject.toml
	scripts/system-deps.sh run
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/hub

install: $(BIN)/hub

run: install
	$(BIN)/hub serve

install-test: install
	scripts/system-deps.sh test

lint: install
	$(BIN)/ruff check hub tests bench migrations
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

audit: install
	$(BIN)/python scripts/audit-deps.py

test: install-test lint typecheck audit
	HUB_TEST_POSTGRES_URL=$${HUB_TEST_POSTGRES_URL:-$$(scripts/test-services.sh)} \
	  $(BIN)/pytest -q $(PYTEST_ARGS)

unit: install
	$(BIN)/pytest -q tests/unit

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

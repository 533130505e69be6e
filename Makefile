# Two entry points for a fresh machine: `make run` and `make test`.
# Both create a virtual environment in .venv and install what they need into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

.env:
	cp .env.example .env

## Install and start the bot (reads DISCORD_TOKEN from the environment or .env).
run: $(VENV)/.installed-run .env
	$(BIN)/backbone run

## Install test dependencies, then lint, type-check and run the whole test suite.
test: $(VENV)/.installed-test
	$(BIN)/ruff check bot tests benchmarks discord_double
	$(BIN)/ruff format --check bot tests benchmarks discord_double
	$(BIN)/mypy
	$(BIN)/pytest

## Validate the knowledge base (what coaches run after editing knowledge/).
check: $(VENV)/.installed-run
	$(BIN)/backbone check

## Run the benchmarks; figures are written to benchmarks/results/.
bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Two entry points for a fresh machine: `make run` and `make test`.
# Both create a virtual environment in .venv and install what they need into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench check clean venv-stale

# The oldest Python the project supports, from `requires-python = ">=3.11"` in
# pyproject.toml, as "3, 11" for a comparison with sys.version_info.
comma := ,
MIN_PYTHON := $(shell sed -n 's/^requires-python *= *">= *\([0-9][0-9]*\)\.\([0-9][0-9]*\)".*/\1, \2/p' pyproject.toml)
MIN_VERSION := $(subst $(comma) ,.,$(MIN_PYTHON))
SUPPORTED := import sys; sys.exit(sys.version_info < ($(MIN_PYTHON)))

# A .venv left by an older checkout may run a Python this project no longer supports, or
# none at all (its interpreter was upgraded away): then its bin/python fails this check
# and every target below rebuilds it from scratch instead of failing oddly later.
VENV_STALE := $(shell test -e $(VENV) && { $(BIN)/python -c '$(SUPPORTED)' >/dev/null 2>&1 || echo yes; })
REBUILD_VENV := $(if $(VENV_STALE),venv-stale)

$(BIN)/python: $(REBUILD_VENV)
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c '$(SUPPORTED)' || { echo "$(PYTHON) is older than Python $(MIN_VERSION); run make with PYTHON=python3.12 (or another newer one)." >&2; rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

venv-stale:
	@echo "$(VENV) runs an unsupported Python (needs $(MIN_VERSION) or newer) or is broken: rebuilding it."
	rm -rf $(VENV)

$(VENV)/.installed-run: pyproject.toml $(REBUILD_VENV) | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(REBUILD_VENV) | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

# Owner-only from the first byte: it will hold the bot's token.
.env:
	install -m 600 .env.example .env

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

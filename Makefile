# Two entry points for a fresh machine: `make run` and `make test`.
# Both create a virtual environment in .venv and install what they need into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench check clean venv-stale postgres-server

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

# The tests (and benchmarks) start a throwaway PostgreSQL of their own from the server
# binaries (throwaway_postgres/); on a fresh Debian machine, install them first. Run as
# root (as CI does) this installs Debian's package without its default cluster, which
# nothing here uses; otherwise it says what to run.
postgres-server: | $(BIN)/python
	@$(BIN)/python -c 'import throwaway_postgres as pg; pg.server_binaries()' 2>/dev/null || { \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "PostgreSQL's server is not installed: run sudo apt-get install postgresql" >&2; exit 1; fi; \
	  echo "Installing PostgreSQL's server (the tests start a throwaway one)..."; \
	  mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    -o Dpkg::Options::=--force-confold postgresql >/dev/null; \
	  $(BIN)/python -c 'import throwaway_postgres as pg; pg.server_binaries()'; }

## Install test dependencies, then lint, type-check and run the whole test suite.
test: $(VENV)/.installed-test postgres-server
	$(BIN)/ruff check bot tests benchmarks discord_double throwaway_postgres
	$(BIN)/ruff format --check bot tests benchmarks discord_double throwaway_postgres
	$(BIN)/mypy
	$(BIN)/pytest

## Validate the knowledge base (what coaches run after editing knowledge/).
check: $(VENV)/.installed-run
	$(BIN)/backbone check

## Run the benchmarks; figures are written to benchmarks/results/.
bench: $(VENV)/.installed-test postgres-server
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

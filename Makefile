# Two commands on a fresh machine: `make run` and `make test`. Both set themselves up first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3
CODE := bot handlers knowledge services tests bench

.PHONY: setup run test lint typecheck unit bench check clean

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) (first run only)..." >&2
	@$(PYTHON) -m venv $(VENV) >&2
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' >&2
	@touch $(STAMP)

setup: $(STAMP)

## run: the console when no Slack tokens are set, Socket Mode with SLACK_APP_TOKEN, HTTP otherwise
run: $(STAMP)
	@$(PY) -m bot run

## test: lint, type check, then the tests
test: lint typecheck unit

lint: $(STAMP)
	$(PY) -m ruff check $(CODE)
	$(PY) -m ruff format --check $(CODE)

typecheck: $(STAMP)
	$(PY) -m mypy

unit: $(STAMP)
	$(PY) -m pytest

check: $(STAMP)
	$(PY) -m bot check

bench: $(STAMP)
	$(PY) bench/answers.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info

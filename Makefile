# ClotCare — every target sets up what it needs; `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install install-prod lint-imports run migrate test lint typecheck pytest demo console bench chaos eval clean content-check

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ClotCare needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Production: the bot and its pinned dependencies, not editable, without the dev tools (pytest, ruff,
# mypy ...). The Dockerfile installs the same way, from a wheel. Content, migrations and alembic.ini
# are read from this checkout when run from it, or from <venv>/share/clotcare otherwise.
install-prod: $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt .
	rm -f $(STAMP)  # not the dev install any more: `make install` would reinstall it

run: install
	$(BIN)/python -m bot run

migrate: install
	$(BIN)/python -m bot migrate

demo console: install
	$(BIN)/python -m bot console

content-check: install
	$(BIN)/python -m bot content check

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest -q

# The layer contracts in .importlinter (handlers/jobs -> services -> domain; bot never imports tests).
lint-imports: install
	$(BIN)/lint-imports

test: lint typecheck lint-imports pytest

# bench/scale.py needs TEST_POSTGRES_URL for its PostgreSQL parts (it says so and skips them otherwise).
bench: install
	$(BIN)/python bench/qa.py
	$(BIN)/python bench/triage_eval.py
	$(BIN)/python bench/reminders.py --plans 20000
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/concurrency.py

eval: install
	$(BIN)/python bench/qa.py
	$(BIN)/python bench/triage_eval.py
	$(BIN)/python bench/blind_eval.py

chaos: install
	$(BIN)/python -m pytest -q -m chaos --run-chaos

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

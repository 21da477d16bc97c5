# argo-parity: every target that runs the harness installs it first, so a fresh clone needs
# nothing but `make parity-report` or `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
REPORT_DIR ?= reports
PHASE ?= dev
EXECUTE ?= none
JOBS ?= 1
PYTEST_ARGS ?=
# The install stamp is refreshed whenever the project's metadata changes.
STAMP := $(VENV)/.installed

.PHONY: install test parity-report fuzz bench lint fault-matrix cluster-up cluster-down clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

parity-report: install
	$(BIN)/parity run --scenarios scenarios --phase $(PHASE) --execute $(EXECUTE) \
		--report-dir $(REPORT_DIR) -n $(JOBS)

fuzz: install
	$(BIN)/parity fuzz --profile nightly

bench: install
	$(BIN)/python benchmarks/run.py

# Runs every test marked as a fault case and writes the table of what happened (docs/reliability.md).
fault-matrix: install
	$(BIN)/python -m pytest -n auto -p tests.fault_matrix -m fault --fault-matrix docs/reliability.md -q

lint: install
	$(BIN)/ruff check harness tests benchmarks conftest.py
	$(BIN)/ruff format --check harness tests benchmarks conftest.py
	$(BIN)/mypy

cluster-up cluster-down:
	@bash scripts/cluster.sh $(@:cluster-%=%)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
	find $(REPORT_DIR) -mindepth 1 ! -name .gitkeep -delete 2>/dev/null || true

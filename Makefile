# Kvalitetsrapport: the quality-report pipeline. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

YEAR ?= 2024
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Optional: DATA=<folder of raw files> KOMMUN=<kommunkod> SCHEDULER=tcp://host:8786 WORKERS=N
REPORT_ARGS := $(if $(DATA),--data "$(DATA)") $(if $(KOMMUN),--kommun "$(KOMMUN)") \
	$(if $(SCHEDULER),--scheduler "$(SCHEDULER)") $(if $(WORKERS),--workers $(WORKERS)) \
	$(if $(FORCE),--force) $(if $(ALLOW_FAILURES),--allow-failures) $(if $(ALLOW_EMPTY),--allow-empty) \
	$(if $(SKIP_UNKNOWN),--skip-unknown) $(if $(LIMIT),--limit $(LIMIT)) $(if $(NO_PDF),--no-pdf) \
	$(if $(PERIOD),--period "$(PERIOD)")

$(STAMP): requirements.lock pyproject.toml
	@echo "Setting up the virtual environment in $(VENV) (first run only) ..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check uv
	@$(VENV)/bin/uv pip install -q --python $(PY) -r requirements.lock
	@$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .
	@$(PY) -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	@touch $(STAMP)

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  Variables: YEAR=$(YEAR) DATA=<raw folder> KOMMUN=<kommunkod> SCHEDULER=<dask address> WORKERS=<n> FORCE=1"
	@echo "             ALLOW_FAILURES=1 ALLOW_EMPTY=1 SKIP_UNKNOWN=1 PERIOD=<HT|VT|1|2|3> (params/perioder.yml)"

.PHONY: setup
setup: $(STAMP) ## Create the virtual environment (done automatically by the other targets)

.PHONY: browser
browser: ## Install Debian's chromium (for the PDF and the browser tests) if missing
	@bash scripts/ensure-chromium.sh

# The first line, before the (slow) environment checks: a prerequisite listed first runs first.
.PHONY: report-start
report-start:
	@echo "make report YEAR=$(YEAR)$(if $(PERIOD), PERIOD=$(PERIOD)): checking the environment (.venv, chromium), then building reports/$(YEAR)/$(if $(PERIOD),$(PERIOD)/) ..."

# GNU make exits 2 whenever a recipe fails, whatever the recipe's own code; the pipeline's code
# (1 = a failed notebook or a leak, 2 = bad input or configuration) is printed on the last line,
# and written to REPORT_EXIT_FILE when given: scripts/report uses it to exit with that code.
# $(call carry,<target>): after the pipeline command in a recipe: write its code to REPORT_EXIT_FILE,
# say it on stderr when it is not 0, and exit with it (scripts/report, scripts/dialog carry it out).
carry = code=$$?; \
	$(if $(REPORT_EXIT_FILE),echo $$code > "$(REPORT_EXIT_FILE)";) \
	if [ $$code -ne 0 ]; then echo "make $(1): the pipeline exited with code $$code (1 = a notebook failed or a leak was found, 2 = bad input or configuration); make itself always exits 2 on a failure: scripts/$(1) exits with the pipeline's code." >&2; fi; \
	exit $$code

.PHONY: report
report: report-start $(STAMP) browser node_modules ## Build the quality report for YEAR (PERIOD=2: one period's verksamhetsanalyser)
	@$(PY) -m pipeline $(if $(ROOT),--root "$(ROOT)") report $(YEAR) $(REPORT_ARGS); $(call carry,report)

.PHONY: data
data: $(STAMP) ## Write the demo data set (fictitious Exempelkommun) into data/raw/
	@$(PY) -m pipeline data

.PHONY: analyses
analyses: $(STAMP) ## Write empty written-analysis templates for every unit of YEAR
	@$(PY) -m pipeline analyses $(YEAR)

.PHONY: dialog
dialog: $(STAMP) ## Write kvalitetsdialog templates (agreed actions -> development areas) for YEAR and PERIOD
	@$(if $(PERIOD),$(PY) -m pipeline $(if $(ROOT),--root "$(ROOT)") dialog $(YEAR) --period "$(PERIOD)",\
	echo "make dialog: give the period, e.g. make dialog YEAR=$(YEAR) PERIOD=2 (the periods are in params/perioder.yml)" >&2; (exit 2)); \
	$(call carry,dialog)

.PHONY: test
test: $(STAMP) browser node_modules ## Run the test suite
	@$(PY) -m pytest -q -p no:cacheprovider tests

.PHONY: bench
bench: $(STAMP) browser node_modules ## Measure speed against naive papermill (bench/results.json; BENCH_QUICK=1: a small one; BENCH_SIZES=20,80; BENCH_COUNTRY=1: KOMMUN=all)
	@$(PY) -m pipeline.execution.bench $(if $(BENCH_QUICK),--quick) $(if $(BENCH_SIZES),--sizes $(BENCH_SIZES)) $(if $(BENCH_COUNTRY),--country $(if $(COUNTRY_SIZES),--country-sizes $(COUNTRY_SIZES)) $(if $(NO_PDF),--no-pdf))

.PHONY: calibrate
calibrate: $(STAMP) ## Calibrate the value-added intervals by simulation (writes params/va_kalibrering.csv, shown on the method page)
	@$(PY) -m pipeline.indicators.va_calibration --ut params/va_kalibrering.csv

.PHONY: lab
lab: $(STAMP) ## Open JupyterLab on the notebooks
	@$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

.PHONY: verify
verify: $(STAMP) ## Rebuild YEAR in a temp dir and report any difference from reports/YEAR
	@$(PY) -m pipeline verify $(YEAR)

.PHONY: lint
lint: $(STAMP) ## Ruff lint and format check, and the mypy type check of pipeline/
	@$(VENV)/bin/ruff check pipeline tests && $(VENV)/bin/ruff format --check pipeline tests && $(VENV)/bin/mypy

node_modules: package.json package-lock.json
	@npm ci --no-audit --no-fund --silent
	@touch node_modules

.PHONY: clean
clean: ## Remove generated outputs (reports/, data/processed/); raw data is kept
	@rm -rf reports data/processed data/valideringsrapport.csv
	@mkdir -p reports data/processed && touch reports/.gitkeep data/processed/.gitkeep

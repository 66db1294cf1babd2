# IdeaMine for Airflow. `make demo` and `make test` do all set-up on a fresh machine (Python 3.11 + make).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export IDEAMINE_HOME ?= $(CURDIR)/.ideamine

# Airflow for the demo: its metadata DB on the embedded Postgres (from the env file), this repo's DAGs.
AIRFLOW_ENV = set -a && source $(IDEAMINE_HOME)/env && set +a && \
	export AIRFLOW_HOME=$(IDEAMINE_HOME)/airflow AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	       AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False &&

.PHONY: install test lint demo up airflow-setup services-stop clean bench bench-e2e

IDEA ?=
export IDEA

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check plugins tests dags bench
	$(BIN)/ruff format --check plugins tests dags bench
	$(BIN)/ideamine config lint config

test: lint
	$(BIN)/pytest -q

# Services, both schemas, and the DAG parsed with no import errors.
airflow-setup: install
	$(BIN)/ideamine services start
	$(BIN)/ideamine db migrate
	$(AIRFLOW_ENV) $(BIN)/airflow db migrate > $(IDEAMINE_HOME)/airflow-db-migrate.log
	$(AIRFLOW_ENV) $(BIN)/airflow dags reserialize > $(IDEAMINE_HOME)/airflow-reserialize.log 2>&1
	@$(AIRFLOW_ENV) out=$$($(BIN)/airflow dags list-import-errors -o plain 2>&1); \
	  if echo "$$out" | grep -q "No data found"; then echo "DAG import errors: none"; else echo "$$out"; exit 1; fi

# Run the whole DAG in-process on IDEA (or a built-in example); the last line is the JSON summary.
demo: airflow-setup
	@$(AIRFLOW_ENV) IDEAMINE_GATE_POKE_SECONDS=$${IDEAMINE_GATE_POKE_SECONDS:-1} \
	  $(BIN)/ideamine run $(if $(IDEA),--idea "$$IDEA")

# airflow standalone (scheduler, API server, triggerer) on the embedded Postgres, the DAG unpaused:
# then `airflow dags trigger ideamine -c '{"idea": "..."}'` or the UI trigger form at :8080.
up: airflow-setup
	$(AIRFLOW_ENV) $(BIN)/airflow dags unpause ideamine
	$(AIRFLOW_ENV) PATH=$(CURDIR)/$(BIN):$$PATH AIRFLOW__CORE__EXECUTOR=LocalExecutor $(BIN)/airflow standalone

services-stop: install
	$(BIN)/ideamine services stop

bench: install
	$(BIN)/python bench/ledger.py

bench-e2e: airflow-setup
	@$(AIRFLOW_ENV) IDEAMINE_GATE_POKE_SECONDS=$${IDEAMINE_GATE_POKE_SECONDS:-1} $(BIN)/python bench/e2e.py

clean: services-stop
	rm -rf $(IDEAMINE_HOME)

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

.PHONY: install test lint demo services-stop clean bench

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

demo: install
	$(BIN)/ideamine services start
	$(BIN)/ideamine db migrate
	$(AIRFLOW_ENV) $(BIN)/airflow db migrate > $(IDEAMINE_HOME)/airflow-db-migrate.log
	$(AIRFLOW_ENV) $(BIN)/airflow dags reserialize
	@$(AIRFLOW_ENV) out=$$($(BIN)/airflow dags list-import-errors -o plain 2>&1); echo "$$out"; \
	  if echo "$$out" | grep -q "No data found"; then echo "DAG import errors: none"; else exit 1; fi
	$(BIN)/ideamine services status

services-stop: install
	$(BIN)/ideamine services stop

bench: install
	$(BIN)/python bench/ledger.py

clean: services-stop
	rm -rf $(IDEAMINE_HOME)

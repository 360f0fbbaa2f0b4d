# Run and test the CRM on a fresh Debian 12 machine.
#   make run    install everything, migrate, deploy the BPMN files, load the demo, start all processes
#   make test   the same setup, then lint-imports, mypy, flake8 and pytest on SQLite and again (-m db) on PostgreSQL
#   make lint   import-linter, mypy, flake8
# Every step is incremental: stamps make a second run skip what is already done.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
FLASK := $(BIN)/flask --app app
VENDOR := app/static/vendor
RUN_DIR := .run
SERVICES_ENV := $(RUN_DIR)/test-services.env
# System packages the tests talk to (none of them is started by apt; tests/services.py starts them).
APT_PACKAGES := redis-server postgresql dovecot-imapd chromium libreoffice-writer-nogui
PYTEST_ARGS ?=

# Local settings for `make run` (KEY=value lines), also read by honcho. Never committed.
# The `.env` rule below adds a random SECRET_KEY when there is none (the app refuses the
# development key); make then reads the file again before running any goal.
-include .env
DOTENV_KEYS := $(shell sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env 2>/dev/null)
ifneq (,$(strip $(DOTENV_KEYS)))
export $(DOTENV_KEYS)
endif

.PHONY: help setup python assets catalogs system-packages run test lint services-up services-down clean FORCE

help:
	@echo "make run     start the CRM with demo data on http://127.0.0.1:$${CRM_WEB_PORT:-5000}"
	@echo "make test    lint-imports + the whole test suite (SQLite, then -m db on PostgreSQL)"
	@echo "make lint    lint-imports, mypy, flake8"
	@echo "make clean   remove the virtualenv, node_modules, built assets and .run/"

setup: python assets catalogs

# Existing lines are kept; a SECRET_KEY from the environment is respected. Precious: never
# deleted on error (.DELETE_ON_ERROR), it may hold the user's own settings.
.PRECIOUS: .env
.env: FORCE
	@if ! grep -q '^SECRET_KEY=' $@ 2>/dev/null && [ -z "$${SECRET_KEY:-}" ]; then \
	  if [ -s $@ ] && [ -n "$$(tail -c1 $@)" ]; then echo >> $@; fi; \
	  echo "SECRET_KEY=$$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >> $@; \
	  echo "Generated a random SECRET_KEY into $@"; \
	fi

FORCE:

# ---------------------------------------------------------------------------------------- Python
python: $(VENV)/.installed

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependencies change.
$(VENV)/.installed: setup.cfg $(wildcard pyproject.toml) | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# --------------------------------------------------------------------------- front-end libraries
# Installed from the npm registry (package-lock.json), copied into the git-ignored vendor folder.
assets: $(VENDOR)/.stamp

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; }
	npm ci --no-audit --no-fund
	touch $@

$(VENDOR)/.stamp: node_modules/.package-lock.json Makefile
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/htmx $(VENDOR)/sortablejs $(VENDOR)/bpmn-js $(VENDOR)/chartjs
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
	   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
	   $(VENDOR)/bootstrap/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/sortablejs/Sortable.min.js $(VENDOR)/sortablejs/
	cp node_modules/chart.js/dist/chart.umd.js node_modules/chart.js/dist/chart.umd.js.map $(VENDOR)/chartjs/
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js \
	   node_modules/bpmn-js/dist/bpmn-modeler.production.min.js $(VENDOR)/bpmn-js/
	cp -R node_modules/bpmn-js/dist/assets $(VENDOR)/bpmn-js/assets
	touch $@

# ------------------------------------------------------------------------------------ translations
catalogs: $(VENV)/.installed
	@if compgen -G 'app/translations/*/LC_MESSAGES/*.po' >/dev/null; then \
	  $(BIN)/pybabel compile --statistics -d app/translations; \
	fi

# ------------------------------------------------------------------------------------------- run
run: setup
	mkdir -p instance $(RUN_DIR)
	$(FLASK) db upgrade
	$(FLASK) crm deploy
	$(FLASK) crm demo
	@echo
	@echo "  CRM: http://127.0.0.1:$${CRM_WEB_PORT:-5000}"
	@echo "  Demo logins: admin, director, manager1, manager2 — password: demo"
	@echo "  Stop with Ctrl-C."
	@echo
	PATH="$(BIN):$$PATH" $(BIN)/honcho start -f Procfile redis web worker clock

# ------------------------------------------------------------------------------------------ test
# Root on a machine without the services: install them (a no-op when present). Not root: go on,
# and the tests that need a missing service skip with the reason.
system-packages:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	{ compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && id postgres >/dev/null 2>&1; } \
	  || missing="$$missing postgresql"; \
	{ command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/imap ]; } || missing="$$missing dovecot-imapd"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing system packages (missing:$$missing)"; \
	  { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); } \
	    || echo "WARNING: apt-get failed; the tests that need$$missing will skip"; \
	else \
	  echo "WARNING: missing$$missing and not root: the tests that need them will skip"; \
	fi

services-up: python
	$(PY) tests/services.py up --env-file $(SERVICES_ENV)

services-down:
	$(PY) tests/services.py down --env-file $(SERVICES_ENV)

# Services are stopped on every exit path (trap). DATABASE_URL and REDIS_URL from the caller's
# environment never reach the tests: the first run is on SQLite, the second on the throwaway
# PostgreSQL. pytest's exit code 5 ("no tests collected") is fine only for the -m db run.
test: setup system-packages
	$(BIN)/lint-imports
	$(BIN)/mypy app workflows workers tests
	$(BIN)/flake8 app workflows workers tests
	@trap '$(PY) tests/services.py down --env-file $(SERVICES_ENV)' EXIT; \
	$(PY) tests/services.py up --env-file $(SERVICES_ENV); \
	set -a; . $(SERVICES_ENV); set +a; \
	unset DATABASE_URL REDIS_URL; \
	sqlite=0; postgres=0; \
	echo "== pytest on SQLite (the whole suite)"; \
	$(BIN)/pytest $(PYTEST_ARGS) || sqlite=$$?; \
	if [ -n "$${CRM_TEST_POSTGRES_URL:-}" ]; then \
	  echo "== pytest -m db on PostgreSQL"; \
	  DATABASE_URL="$$CRM_TEST_POSTGRES_URL" $(BIN)/pytest -m db $(PYTEST_ARGS) || postgres=$$?; \
	  if [ "$$postgres" = 5 ]; then echo "(no tests marked db)"; postgres=0; fi; \
	else \
	  echo "WARNING: PostgreSQL is not available: the -m db run on PostgreSQL was skipped"; \
	fi; \
	echo "== SQLite run: exit $$sqlite; PostgreSQL run: exit $$postgres"; \
	[ "$$sqlite" = 0 ] && [ "$$postgres" = 0 ]

lint: python
	$(BIN)/lint-imports
	$(BIN)/mypy app workflows workers tests
	$(BIN)/flake8 app workflows workers tests

clean: services-down
	rm -rf $(VENV) node_modules $(VENDOR) $(RUN_DIR)

# Wuye task runner. `make help` lists the targets.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export WUYE_DATA_DIR ?= $(CURDIR)/var

.PHONY: help demo test setup lint test-sqlite test-postgres messages clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## create the virtual environment and install Wuye with its test tools
	@scripts/system-deps.sh demo
	cd src/wuye && WUYE_DEBUG=1 $(abspath $(BIN))/wuye compilemessages -v 0

demo: setup ## set up, migrate, seed the demo community and serve it at http://127.0.0.1:8000 (paysim at :8001)
	WUYE_DEBUG=1 $(BIN)/wuye migrate --noinput -v 0
	WUYE_DEBUG=1 $(BIN)/wuye demo
	WUYE_DEBUG=1 $(BIN)/wuye paysim --port 8001 --quiet & paysim=$$!; \
	  WUYE_DEBUG=1 $(BIN)/wuye payments sweep --every 60 >/dev/null & sweep=$$!; \
	  trap 'kill $$paysim $$sweep 2>/dev/null' EXIT INT TERM; \
	  WUYE_DEBUG=1 $(BIN)/wuye runserver 127.0.0.1:8000 --noreload

test: setup ## set up and run every test: SQLite, then PostgreSQL, browser tests included
	@scripts/system-deps.sh test
	$(BIN)/ruff check src tests
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: ## the whole suite on SQLite
	WUYE_SECRET_KEY=test-only WUYE_FIELD_KEY=test-only-field-key-0123456789abcdef WUYE_DATA_DIR=$$(mktemp -d) DATABASE_URL= WUYE_TEST_DATABASE=sqlite $(BIN)/pytest -q

test-postgres: ## the whole suite on a throwaway PostgreSQL cluster
	WUYE_SECRET_KEY=test-only WUYE_FIELD_KEY=test-only-field-key-0123456789abcdef WUYE_DATA_DIR=$$(mktemp -d) WUYE_TEST_DATABASE=postgresql scripts/with-postgres.sh $(BIN)/pytest -q

lint: ## ruff lint and format check
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

messages: ## update the zh_Hans catalog from the source
	cd src/wuye && WUYE_DEBUG=1 $(abspath $(BIN))/wuye makemessages -l zh_Hans --no-obsolete --no-location

clean: ## remove the virtual environment and local data
	rm -rf $(VENV) var

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

# The demo runs as production does (gunicorn, debug off, static files by WhiteNoise) with the demo's
# conveniences (WUYE_DEMO: keys of its own made once in the data folder, paysim, login codes in the log),
# and the periodic work a Celery beat would run: the payment sweep and the outbox's sender.
demo: export WUYE_DEMO = 1
demo: export WUYE_DEBUG =
demo: setup ## set up, migrate, seed the demo community and serve it at http://127.0.0.1:8000 (paysim at :8001)
	$(BIN)/wuye migrate --noinput -v 0
	$(BIN)/wuye collectstatic --noinput -v 0
	$(BIN)/wuye demo
	$(BIN)/wuye paysim --port 8001 --quiet & paysim=$$!; \
	  $(BIN)/wuye payments sweep --every 60 >/dev/null & sweep=$$!; \
	  $(BIN)/wuye notifications_send --every 10 >/dev/null & send=$$!; \
	  trap 'kill $$paysim $$sweep $$send 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn wuye.wsgi:application --bind 127.0.0.1:8000 --worker-class gthread --workers 2 --threads 4 --timeout 120

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

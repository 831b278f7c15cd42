# epitrace — the two commands: `make run` (serve) and `make test` (whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO ?= 0
export EPITRACE_DATABASE_URL ?= sqlite:///var/epitrace.sqlite3

.PHONY: run test lint typecheck i18n bench setup setup-test frontend chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

# Front-end libraries come from the npm registry, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend: node_modules/.installed
	mkdir -p src/epitrace/web/static/vendor
	cp node_modules/jsqr/dist/jsQR.js src/epitrace/web/static/vendor/jsQR.js
	mkdir -p src/epitrace/web/static/vendor/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/LICENSE src/epitrace/web/static/vendor/swagger-ui/
	mkdir -p src/epitrace/web/static/vendor/chartjs
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map \
	   node_modules/chart.js/LICENSE.md src/epitrace/web/static/vendor/chartjs/

setup: $(VENV)/.installed frontend
	mkdir -p var
	$(BIN)/epitrace db upgrade
	$(BIN)/epitrace places load vietnam

## run: install, migrate, load administrative units, serve on http://$(HOST):$(PORT)
run: setup
ifeq ($(DEMO),1)
	$(BIN)/epitrace demo seed
endif
	$(BIN)/epitrace serve --host $(HOST) --port $(PORT)

# Debian packages the tests use: Chromium (browser tests), DejaVu (Vietnamese in PDF posters),
# poppler-utils (pdftoppm renders posters to check their QR codes).
TEST_DEBS := chromium fonts-dejavu-core poppler-utils
chromium:
	@missing=$$(for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && apt-get install -y -qq $$missing; fi

setup-test: $(VENV)/.installed-test frontend chromium

## test: lint, types, translations, then the whole suite on SQLite and PostgreSQL
test: setup-test lint
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/epitrace i18n check

i18n: $(VENV)/.installed
	$(BIN)/epitrace i18n update

bench: setup-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules var src/epitrace/web/static/vendor

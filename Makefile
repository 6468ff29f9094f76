# The two commands: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests on PostgreSQL create (and drop) a fresh database named test_nanum.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/nanum
PYTEST_ARGS ?=
# make backup / make restore: DATABASE_URL (PostgreSQL) is the database dumped or restored
# into; BACKUP_FILE defaults to backups/nanum-<UTC time>.dump (backup) and to the newest
# backups/*.dump (restore).
BACKUP_FILE ?=
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

.PHONY: help run serve test test-passes test-sqlite test-postgres lint format bench backup restore messages makemessages system-deps browser-deps install clean

help:
	@echo "make run    - set up (.venv, dependencies, migrations, demo data) and serve http://$(HOST):$(PORT)"
	@echo "make serve  - production configuration (gunicorn, DEBUG off, PostgreSQL nanum, demo data) on http://$(HOST):$(PORT)"
	@echo "make test   - the whole suite on SQLite and on PostgreSQL, browser tests included, then lint"
	@echo "make bench  - the benchmarks under bench/ (PostgreSQL; installs wrk when missing)"
	@echo "make backup DATABASE_URL=postgres://... [BACKUP_FILE=backups/x.dump]  - pg_dump -Fc"
	@echo "make restore DATABASE_URL=postgres://.../new_db [BACKUP_FILE=...]  - into a new or empty database"

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	@touch $(STAMP)

system-deps:
	@bash scripts/system-deps

# axe-core for the browser tests' accessibility checks (npm, pinned, into .cache/axe/).
browser-deps: system-deps
	@bash scripts/browser-deps

%.mo: %.po
	msgfmt --check --output-file=$@ $<

messages: $(MO_FILES)

makemessages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages --locale=ko --ignore=.venv --no-obsolete
	DEBUG=1 $(BIN)/python manage.py makemessages --locale=ko --domain=djangojs --ignore=.venv --ignore=staticfiles --no-obsolete || true

run: $(STAMP) system-deps messages
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production settings over local HTTP: PostgreSQL (DATABASE_URL, default the
# database nanum, created if missing), demo data, collectstatic, gunicorn.
serve: $(STAMP) messages
	BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) DATABASE_URL="$(or $(DATABASE_URL),$(TEST_POSTGRES_URL))" bash scripts/serve

# The two passes run side by side (scripts/test-passes: a log each under
# test-logs/, summary lines, the whole log of a failing pass); test-sqlite and
# test-postgres run one pass in the foreground.
test: $(STAMP) system-deps browser-deps messages lint test-passes

test-passes: $(STAMP) messages
	BIN=$(BIN) SQLITE_URL=sqlite:///$(CURDIR)/test-db.sqlite3 POSTGRES_URL=$(TEST_POSTGRES_URL) bash scripts/test-passes $(PYTEST_ARGS)

test-sqlite: $(STAMP) browser-deps messages
	DEBUG=1 DATABASE_URL=sqlite:///$(CURDIR)/test-db.sqlite3 $(BIN)/pytest --create-db $(PYTEST_ARGS)

test-postgres: $(STAMP) browser-deps messages
	DEBUG=1 REQUIRE_POSTGRES=1 DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest --create-db $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m config.layering

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) messages
	@bash scripts/bench-deps
	@shopt -s nullglob; for script in bench/*_bench.py; do \
		echo "== $$script"; \
		DEBUG=1 DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/python $$script || exit 1; \
	done

backup:
	DATABASE_URL="$(DATABASE_URL)" BACKUP_FILE="$(BACKUP_FILE)" bash scripts/backup

restore:
	DATABASE_URL="$(DATABASE_URL)" BACKUP_FILE="$(BACKUP_FILE)" bash scripts/restore

clean:
	rm -rf $(VENV) db.sqlite3 test-db.sqlite3 test-logs staticfiles .cache .pytest_cache .ruff_cache $(MO_FILES)

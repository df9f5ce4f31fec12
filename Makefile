# recallcases: `make run` to try it, `make test` to check it. `make` alone lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run demo-data worker beat needs-redis test lint format messages bench bench-large loadtest clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@python=$$(bin/find-python) || { echo "recallcases needs Python 3.12 or newer (Django 6)."; \
	  echo "Install one (e.g. 'pyenv install 3.13') or name it: make PYTHON=/path/to/python3.13 ..."; \
	  exit 1; }; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned requirements

run: export DEBUG ?= true
run: install ## Set up (migrate, demo recalls and logins) and serve on http://127.0.0.1:8000
	$(PY) bin/ensure-database
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --base-url http://$(HOST):$(PORT)
	@# The URLs may hold passwords: name the services, never print the URLs.
	@if [ -n "$${REDIS_URL:-}" ]; then echo "  Cache and task broker: Redis (REDIS_URL)."; \
	  else echo "  No REDIS_URL: local-memory cache and in-process tasks."; fi
	@if [ -n "$${DATABASE_URL:-}" ]; then echo "  Database: $${DATABASE_URL%%:*} (DATABASE_URL)."; \
	  else echo "  Database: SQLite (var/db.sqlite3)."; fi
	@# With Redis, a Celery worker and beat run beside the web server and stop with it.
	@if [ -n "$${REDIS_URL:-}" ]; then \
	  trap 'kill 0' EXIT INT TERM; \
	  $(VENV)/bin/celery -A recallcases worker --loglevel=INFO --concurrency=2 & \
	  $(VENV)/bin/celery -A recallcases beat --loglevel=INFO & \
	  $(PY) manage.py runserver $(HOST):$(PORT); \
	else \
	  $(PY) manage.py runserver $(HOST):$(PORT); \
	fi

demo-data: export DEBUG ?= true
demo-data: install ## Fill the demo recall with DEMO_CLAIMS (3000) made-up claims over months (then make run)
	$(PY) bin/ensure-database
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --base-url http://$(HOST):$(PORT) > /dev/null
	$(PY) manage.py demo_claims --count $${DEMO_CLAIMS:-3000}

# Like `make run`, the worker and beat run in development mode unless DEBUG is set: a newcomer
# needs nothing but REDIS_URL (and DATABASE_URL to share PostgreSQL with `make run`).
worker: export DEBUG ?= true
worker: install needs-redis ## Run a Celery worker (needs REDIS_URL): sends the outbox's emails
	$(PY) bin/ensure-database
	$(PY) manage.py migrate --noinput
	$(VENV)/bin/celery -A recallcases worker --loglevel=INFO

beat: export DEBUG ?= true
beat: install needs-redis ## Run Celery beat (needs REDIS_URL): the outbox sweep and the reminders
	@mkdir -p var
	$(VENV)/bin/celery -A recallcases beat --loglevel=INFO

needs-redis:
	@if [ -z "$${REDIS_URL:-}" ]; then \
	  echo "This target needs Redis: set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0 make $(MAKECMDGOALS)."; \
	  echo "Without Redis, 'make run' sends emails in the request; 'python manage.py outbox_send' sends what is left."; \
	  exit 1; fi

test: install ## Lint, check import contracts, migrations and translations, run the whole test suite
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) bin/ensure-database
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

lint: install ## Ruff lint and format check, and the import contracts (pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install ## Update the French and Spanish catalogues from the code, then compile them (needs gettext)
	DEBUG=true $(PY) manage.py makemessages -l fr_CA -l es_US --no-obsolete --add-location file \
	  --ignore '.venv/*' --ignore 'var/*' --ignore 'static/vendor/*' --ignore 'bench/*' --ignore 'tests/*'
	DEBUG=true $(PY) manage.py compilemessages -l fr_CA -l es_US --ignore '.venv'

BENCH_SCALE ?= 69000
bench: install ## Run the benchmarks in bench/ and print their figures (needs PostgreSQL)
	@# A scratch database, recallcases_bench, is dropped and built again on DATABASE_URL's server.
	$(PY) bench/registry.py
	BENCH_SCALE=$(BENCH_SCALE) $(PY) bench/staff_queue.py
	BENCH_SCALE=$(BENCH_SCALE) $(PY) bench/reports_and_notices.py
	$(PY) bench/photo_pipeline.py
	$(PY) bench/public_pages.py

bench-large: install ## The queue and reports at 1.1 million claims, 10 million serials (~15 min)
	BENCH_SCALE=1100000 $(PY) bench/staff_queue.py --runs 20
	BENCH_SCALE=1100000 $(PY) bench/reports_and_notices.py --runs 10 --notices 200

# LOADTEST_DURATION (seconds, default 600) and the rates are read from the environment or the
# command line: `make loadtest LOADTEST_DURATION=120`. See bench/loadtest/run.py.
loadtest: install ## Load test: the production stack on loopback under launch-day traffic (Locust)
	@# A scratch database, recallcases_loadtest, is dropped and built again on DATABASE_URL's server.
	$(PY) bench/loadtest/run.py

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var

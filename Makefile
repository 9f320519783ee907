# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
# `make run` and its steps are the development set-up: DEBUG on unless said otherwise.
DEV := DEBUG=$${DEBUG:-1}

.PHONY: run test setup system-packages migrate demo worker beat serve bench loadtest lint format messages clean

# The first install takes minutes: pip shows each package as it goes (--progress-bar on).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the portal's packages into $(VENV) (a few minutes the first time)..."
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	touch $(STAMP)

setup: system-packages $(STAMP)

# Pango and Vietnamese-capable fonts for the PDF reports (installed when root, else named).
system-packages:
	@bash tools/system_packages.sh

migrate: system-packages $(STAMP)
	$(DEV) $(MANAGE) migrate --noinput
	$(DEV) $(MANAGE) write_schedules
	$(DEV) $(MANAGE) load_units

demo: migrate
	$(DEV) $(MANAGE) seed_demo
	$(DEV) $(MANAGE) recompute_certifications

# PORT: where `make run` serves (make run PORT=8017).
PORT ?= 8000

run: demo
	$(DEV) $(MANAGE) runserver 127.0.0.1:$(PORT)

# Two processes (pytest-xdist): the suite in under 5 minutes on a 2-core machine. Tests
# that start servers, workers or a browser stay in one process each (tests/conftest.py).
PYTEST_ARGS ?= -n 2 --dist loadgroup
test: system-packages $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

worker: $(STAMP)
	$(DEV) $(BIN)/celery -A friendlygov worker --loglevel=info

beat: $(STAMP)
	$(DEV) $(BIN)/celery -A friendlygov beat --loglevel=info --scheduler django_celery_beat.schedulers:DatabaseScheduler

serve: $(STAMP)
	$(MANAGE) collectstatic --noinput
	$(BIN)/gunicorn friendlygov.wsgi --workers $${WEB_WORKERS:-2} --bind $${BIND:-127.0.0.1:8000} --access-logfile -

bench: $(STAMP)
	$(DEV) $(MANAGE) bench

# 50 users for 60 s against gunicorn, a worker, a private PostgreSQL and Redis started for
# the test (tooling/loadtest.py on tooling/stack.py). Fails on any error.
loadtest: $(STAMP)
	$(BIN)/python -m tooling.loadtest --serve --users $${LOADTEST_USERS:-50} --seconds $${LOADTEST_SECONDS:-60}

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(DEV) $(MANAGE) makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerates and compiles the translation catalogues (needs GNU gettext).
messages: $(STAMP)
	for app in friendlygov communes surveys targets; do \
	  (cd $$app && DEBUG=1 ../$(BIN)/python ../manage.py makemessages -l en --no-obsolete); done
	$(DEV) $(MANAGE) makemessages -l en --no-obsolete --ignore='communes/*' --ignore='surveys/*' --ignore='targets/*' --ignore='friendlygov/*' --ignore='.venv/*' --ignore='tests/*'
	$(DEV) $(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

# Figurine Studio — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install browser validators slicer blender run prod test lint check vendor bench clean

$(STAMP): pyproject.toml
	test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first and pinned: here it is a local CPU build; an unpinned torch pulls gigabytes of CUDA.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the real-browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Third-party file checkers the suite runs: the Khronos glTF validator from npm (pinned in tools/package.json
# and its lock file, installed into tools/node_modules). Without node/npm the tests that need it are skipped
# with that reason.
VALIDATORS_STAMP := tools/node_modules/.installed
$(VALIDATORS_STAMP): tools/package.json tools/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tools --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the glTF validator tests will be skipped"; fi

validators: $(VALIDATORS_STAMP)

# Debian's PrusaSlicer for the tests that slice our STL and 3MF print files (its CLI; no GUI is started).
slicer:
	@command -v prusa-slicer >/dev/null 2>&1 || { \
	  echo "installing Debian's prusa-slicer for the slicing tests"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prusa-slicer >/dev/null \
	  || echo "prusa-slicer could not be installed: the slicing tests will be skipped"; }

# Blender as a Python module (PyPI bpy) for the tests that import our FBX/STL in Blender. bpy pins numpy < 2,
# so it gets its own venv (.venv-blender, Python 3.11 like the studio's); the tests run it in a subprocess.
BLENDER_VENV := .venv-blender
$(BLENDER_VENV)/.installed:
	test -x $(BLENDER_VENV)/bin/python || $(PYTHON) -m venv $(BLENDER_VENV)
	$(BLENDER_VENV)/bin/pip install -q "bpy==5.0.1" || echo "bpy could not be installed: the Blender tests will be skipped"
	touch $@

blender: install $(BLENDER_VENV)/.installed

run: install
	$(PYTHON) manage.py migrate --noinput
	$(PYTHON) manage.py seed_demo
	@echo "Portal, admin and API on http://$(HOST):$(PORT)/ with django-q2 workers (admin: user admin, the password seed_demo printed above; new one: manage.py changepassword admin)."
	@# stop signals to the workers' main processes only: a SIGTERM to a cluster's own sentinel leaves it hanging
	@trap 'trap - EXIT INT TERM; kill $$(jobs -p) 2>/dev/null; wait' EXIT INT TERM; \
	  $(PYTHON) manage.py qcluster & \
	  if [ -n "$$Q_GPU_CLUSTER" ]; then Q_CLUSTER_NAME=$$Q_GPU_CLUSTER $(PYTHON) manage.py qcluster & fi; \
	  $(PYTHON) manage.py runserver --noreload $(HOST):$(PORT)

# Production settings on this one machine: DEBUG=0, migrate, collectstatic, gunicorn + workers (deploy/one-machine.sh).
prod: install
	HOST=$(HOST) PORT=$(PORT) deploy/one-machine.sh

test: install browser validators slicer blender
	$(PYTHON) -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check: install
	$(PYTHON) manage.py check
	$(PYTHON) manage.py makemigrations --check --dry-run

# Re-vendor Google's <model-viewer> from npm into static files (committed, so the portal works offline).
vendor:
	studio/static/vendor/model-viewer/vendor.sh

bench: install
	for f in bench/*.py; do echo "== $$f"; $(PYTHON) $$f || exit 1; done

clean:
	rm -rf $(VENV) $(BLENDER_VENV) var .pytest_cache .ruff_cache

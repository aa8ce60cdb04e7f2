# One virtual environment outside the clone, reused across clones (torch is large).
VENV ?= $(HOME)/.venvs/gankit
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: setup demo test test-fast lint bench docs

# What the last successful install was made from: pyproject.toml's hash and this clone (the
# editable install points at it). While both match the stamp in the venv, setup skips the
# venv, torch and pip steps, so `make test-fast` goes straight to the tests; edit
# pyproject.toml, install from another clone, or delete the stamp, and it installs again.
STAMP := $(VENV)/.gankit-setup
SETUP_KEY := $(shell python3 -c "import hashlib; print(hashlib.sha256(open('pyproject.toml', 'rb').read()).hexdigest()[:16])") $(CURDIR)

setup:
	@if [ "$$(cat $(STAMP) 2>/dev/null)" = "$(SETUP_KEY)" ]; then \
	  echo "setup: installed, pyproject.toml unchanged (delete $(STAMP) to reinstall)"; \
	else \
	  { test -x $(PY) || python3 -m venv $(VENV); } && \
	  { $(PY) -c "import torch, torchvision" 2>/dev/null || \
	    $(PIP) install "torch==2.14.1" "torchvision==0.29.1"; } && \
	  $(PIP) install -e ".[dev,docs]" && \
	  echo "$(SETUP_KEY)" > $(STAMP); \
	fi
	@bash scripts/get_fashion_mnist.sh $(PY)

demo: setup
	$(VENV)/bin/gankit train dcgan-fashion --set train.steps=300 --set train.fid_every=0 --out runs/demo --force
	$(VENV)/bin/gankit sample runs/demo --n 64 --out runs/demo/sample_grid.png
	@echo "Outputs: runs/demo (config.yaml, checkpoints/, metrics.jsonl, samples/, losses.png, report.html)"

test: lint
	$(PY) -m pytest

# The inner loop: everything but the tests marked slow (Inception, subprocesses, torchrun,
# the browser, every recipe; `-m inception`, `-m ddp`, `-m network` pick out why); under a
# minute on a 2-core CPU, with no reinstall when pyproject.toml did not change.
test-fast: lint
	$(PY) -m pytest -m "not slow"

# The documentation site (README.md + docs/, mkdocs.yml); --strict fails on a broken link or
# a page missing from the nav. `make test` builds it too (tests/docs/test_site.py).
docs: setup
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -d site

# Lint rules, one formatting (`ruff format src tests benchmarks` applies it) and the layering.
lint: setup
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports

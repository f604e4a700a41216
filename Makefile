# The set-up commands of the README: `make test`, `make book` (then `make browser-test`) and
# `make lab`.
# Each creates the virtual environment on first use (Python 3.11, exact pins from
# requirements.txt, the package in editable mode), then does its job.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test test-all lint mutants book browser-test lab clean-book env

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Fast tests (CPU, minutes). Slow and GPU tests are marked and left out here.
test: $(STAMP)
	$(PY) -m pytest -m "not slow and not gpu and not browser" -q

# Code checks (also run by pre-commit): lint rules, formatting, types of the package.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test-all: $(STAMP)
	$(PY) -m pytest -q

# Mutation testing of the modules that decide numbers ([tool.mutmut] in pyproject.toml), at
# the lowest priority; then the score per module. Slow (hours on 2 busy cores): not in CI.
# MUTANTS="collective.theory.adversary.*" restricts it to matching mutants; one test process
# at a time (the machine is shared), MUTANT_CHILDREN=2 for more.
MUTANT_CHILDREN ?= 1
mutants: $(STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 nice -n 19 $(VENV)/bin/mutmut run --max-children $(MUTANT_CHILDREN) $(MUTANTS)
	$(PY) tests/mutation_score.py

# Builds _build/html; any warning fails the build.
book: $(STAMP)
	$(VENV)/bin/jupyter-book build -W -n --keep-going .

# Opens every page of _build/html in headless Chromium (Debian: apt-get install chromium) and
# checks formulas, images, console errors, links and downloads; screenshots in _build/screenshots.
browser-test: $(STAMP)
	$(PY) -m pytest tests/test_book_browser.py -q

# JupyterLab on the chapters: the MyST .md files open as notebooks (jupytext).
LAB_ARGS ?=
lab: $(STAMP)
	JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/.jupyterlab/user-settings \
	  $(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) chapters/index.md

clean-book:
	$(VENV)/bin/jupyter-book clean .

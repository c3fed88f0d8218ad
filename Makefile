# Two commands do all set-up:  `make lab`  (open the course)  and  `make test`  (check everything).
# VENV may live anywhere (CI points it at a cache outside the clone); the default is ./.venv.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Dependencies are keyed by the content of the files that list them (not their mtime, which
# every fresh clone resets), so a cached VENV is reused until they really change.
DEPS_HASH := $(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.deps-$(DEPS_HASH)
NB ?= notebooks/[0-9]*.ipynb
# A second, equally valid course backbone (same recipe, another seed). Lesson 6 and the finetuning
# self-check also run against it, so an output that holds only for one set of trained weights fails
# here and not on a learner's machine, whose CPU never reproduces our weights bit for bit anyway.
OTHER_SEED ?= 1
NB_BACKBONE ?= notebooks/06_*.ipynb
LAB_ARGS ?=
# The oldest PyTorch the lessons claim (notebooks/course.json, pyproject's `course` extra), in a venv of
# its own (several GB, built once from PyPI). `make nbval-oldest` runs every lesson there under nbval-lax:
# assertions and errors count, stored outputs are not compared (they were made with the pinned torch).
TORCH_OLDEST ?= 2.4.1
TORCHVISION_OLDEST ?= 0.19.1
VENV_COURSE_OLDEST ?= .venv-course-oldest
OLDEST_BIN := $(VENV_COURSE_OLDEST)/bin
OLDEST_STAMP := $(VENV_COURSE_OLDEST)/.deps-$(DEPS_HASH)-torch$(TORCH_OLDEST)

# Same outputs on every run: no hash randomisation, no debugger noise on kernel start,
# never download (lesson 6 opts in with AUTOGRAD_COURSE_ONLINE=1 only when a user sets it).
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup lab test lint typecheck unit test-wheel test-oldest test-newest browser nbval nbval-other-seed nbval-oldest structure i18n i18n-check nbval-zh notebooks assignments instructor-e2e student-pack bench bench-explore backbone backbone-other-seed dot chromium python sandbox bwrap node hub-test clean
.DEFAULT_GOAL := help

help:
	@echo "make lab          set up (venv, packages, graphviz) and open the course in JupyterLab"
	@echo "make test         set up, then lint, unit tests, browser tests, every lesson under nbval, assignments"
	@echo "make test-oldest  dagviz's tests on the oldest torch and Python it claims (venv VENV_OLDEST, PYTHON_OLDEST)"
	@echo "make test-newest  dagviz's tests on the newest Python it supports, pinned torch (VENV_NEWEST, PYTHON_NEWEST)"
	@echo "make typecheck    mypy (strict) on dagviz and autograd_course"
	@echo "make test-wheel   the built wheel in a new venv holding only torch and graphviz: draw, text, to_html, CLI"
	@echo "make browser      only the browser tests: lessons and the explorer in JupyterLab + Chromium"
	@echo "make notebooks    re-execute lessons in place so stored outputs match the code (NB=file for one)"
	@echo "make i18n         rebuild the Chinese lessons (notebooks/zh/) from the English ones and i18n/zh/"
	@echo "make i18n-check   fail on a missing, stale or unbuilt Chinese translation (python tools/i18n.py status: details)"
	@echo "make assignments  student versions into release/; autograde solutions, blanks and the cheat corpus"
	@echo "make instructor-e2e  a whole term with fake students: release, collect, autograde, feedback, export"
	@echo "make hub-test     a class on a real JupyterHub with real Linux accounts (root): the exchange, end to end"
	@echo "make student-pack build/student-pack/: lessons, released assignments, packages; leak-checked"
	@echo "make nbval-other-seed  lesson 6 and the finetuning check against a backbone of another seed"
	@echo "make nbval-oldest every lesson under nbval-lax on the oldest torch the course claims (VENV_COURSE_OLDEST)"
	@echo "make structure    the lesson-structure check alone (numbered sections, headers, README list, assignments)"
	@echo "make bench        dagviz vs torchviz on torchvision's 80 classification models and synthetic graphs"
	@echo "make bench-explore  explorer file sizes and time to open a group, in Chromium"
	@echo "variables: VENV=$(VENV) PYTHON=$(PYTHON)"
	@echo "           VENV_OLDEST=$(VENV_OLDEST) PYTHON_OLDEST=$(PYTHON_OLDEST) VENV_NEWEST=$(VENV_NEWEST) PYTHON_NEWEST=$(PYTHON_NEWEST)"

# ---- set-up -------------------------------------------------------------------------------
# `dot` is a system program: install it when we can (root + apt), else say how.
dot:
	@if command -v dot >/dev/null 2>&1; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Graphviz (dot) with apt-get ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  echo "Installing Graphviz (dot) with sudo apt-get ..."; \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	fi; \
	command -v dot >/dev/null 2>&1 || { \
	  echo "error: Graphviz's 'dot' program is missing and could not be installed automatically."; \
	  echo "Install it, then run make again:"; \
	  echo "  Debian/Ubuntu:  sudo apt-get install graphviz"; \
	  echo "  macOS:          brew install graphviz"; \
	  echo "  conda:          conda install -c conda-forge graphviz"; \
	  exit 1; }

# The browser tests drive the system's Chromium (Playwright's own browser download is not used):
# install it like `dot`, when we can, else say how.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "$$DAGVIZ_CHROMIUM" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Chromium with apt-get (for the browser tests) ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  echo "Installing Chromium with sudo apt-get (for the browser tests) ..."; \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "error: Chromium is missing and could not be installed automatically; the browser tests need it."; \
	  echo "Install it, then run make again:"; \
	  echo "  Debian/Ubuntu:  sudo apt-get install chromium"; \
	  echo "  elsewhere:      any Chromium or Chrome, then  make browser DAGVIZ_CHROMIUM=/path/to/chrome"; \
	  exit 1; }

# Grading runs students' code contained (course_grading/sandbox.py): as root with util-linux's unshare,
# setpriv and mount; as any other user with bubblewrap. Install what is missing when we can, else say how.
sandbox:
	@if [ "$$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then exit 0; fi; \
	$(MAKE) --no-print-directory bwrap

bwrap:
	@if command -v bwrap >/dev/null 2>&1; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing bubblewrap with apt-get (grading sandbox) ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  echo "Installing bubblewrap with sudo apt-get (grading sandbox) ..."; \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	fi; \
	command -v bwrap >/dev/null 2>&1 || { \
	  echo "error: grading as a user other than root needs bubblewrap, and it could not be installed."; \
	  echo "  Debian/Ubuntu:  sudo apt-get install bubblewrap"; \
	  echo "  Fedora:         sudo dnf install bubblewrap"; \
	  echo "Submissions are never run uncontained."; \
	  exit 1; }

# configurable-http-proxy (npm) for the hub test; Node.js itself installed like dot when it can be.
HUB_NODE ?= build/hub-node
node:
	@if command -v npm >/dev/null 2>&1; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Node.js with apt-get (for JupyterHub's proxy in the hub test) ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi; \
	command -v npm >/dev/null 2>&1 || { \
	  echo "error: the hub test needs Node.js and npm (JupyterHub's configurable-http-proxy)."; \
	  echo "  Debian/Ubuntu:  sudo apt-get install nodejs npm"; \
	  echo "  macOS:          brew install node"; \
	  exit 1; }
	@test -x $(HUB_NODE)/node_modules/.bin/configurable-http-proxy || \
	  npm install --silent --no-audit --no-fund --prefix $(HUB_NODE) configurable-http-proxy@4

# A Python >= 3.10 that can make virtual environments (Debian/Ubuntu split venv out).
python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null || { \
	  echo "error: '$(PYTHON)' is missing or older than 3.10; run make PYTHON=python3.11 (or another 3.10+)"; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null && exit 0; \
	pkg=python$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkg >/dev/null; \
	else echo "error: $(PYTHON) cannot create virtual environments; install it: sudo apt-get install $$pkg"; exit 1; fi

$(STAMP):
	@$(MAKE) --no-print-directory python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[course,dev]"
	touch $(STAMP)

# The project itself is (re)linked every time: a shared VENV may have been built by another clone.
setup: dot $(STAMP)
	@$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . >/dev/null
	@$(BIN)/python -c 'import torch, torchvision, graphviz, dagviz; print("ready: torch", torch.__version__, "torchvision", torchvision.__version__, "dagviz", dagviz.__version__)'

# The course-pretrained resnet18 backbone for offline users (git-ignored, under build/).
backbone: setup
	$(BIN)/python -m autograd_course backbone

backbone-other-seed: setup
	AUTOGRAD_COURSE_BACKBONE_SEED=$(OTHER_SEED) $(BIN)/python -m autograd_course backbone

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
lab: setup backbone
	@echo "中文版 (Chinese edition): notebooks/zh/ in JupyterLab's file browser; start with notebooks/zh/01_tensors_that_remember.ipynb (see README.zh-CN.md)"
	$(BIN)/jupyter lab notebooks/01_tensors_that_remember.ipynb $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# ---- checks -------------------------------------------------------------------------------
lint: setup
	$(BIN)/ruff check .

# dagviz and autograd_course, strict where their dependencies have type information ([tool.mypy]).
typecheck: setup
	$(BIN)/mypy

unit: setup sandbox
	$(BIN)/python -m pytest -q tests --ignore=tests/browser --ignore=tests/wheel

# dagviz as a user gets it: the built wheel pip-installed into a new venv holding only torch and
# graphviz (hard-linked from VENV, so it takes seconds), then draw, text, trace, to_html and the CLI.
test-wheel: setup
	$(BIN)/python -m pytest -q tests/wheel

# Real JupyterLab + real Chromium: lessons 1 and 2 Run All, the explorer widget and HTML file.
# Failure screenshots go to build/browser-failures/.
browser: setup chromium
	$(BIN)/python -m pytest -q tests/browser

# Stored outputs were made with the course backbone: compare against it even where ImageNet
# weights happen to be cached.
nbval: setup backbone
	AUTOGRAD_COURSE_BACKBONE=course $(BIN)/python -m pytest -q --nbval --nbval-current-env $(NB) --nbval-sanitize-with tests/nbval_sanitize.cfg

# The Chinese lessons are generated (tools/i18n.py) from the English ones, whose outputs they copy:
# they must be complete, current and rebuilt, and they run under nbval exactly like the English ones.
ZH_NB ?= notebooks/zh/[0-9]*.ipynb
i18n-check: setup
	$(BIN)/python tools/i18n.py check

nbval-zh: setup backbone
	AUTOGRAD_COURSE_BACKBONE=course $(BIN)/python -m pytest -q --nbval --nbval-current-env $(ZH_NB) --nbval-sanitize-with tests/nbval_sanitize.cfg

# The lessons that use the backbone, and the finetuning self-check, against the other-seed backbone
# (solution and blank only: what a cheat scores does not depend on the backbone's weights).
nbval-other-seed: setup backbone-other-seed
	AUTOGRAD_COURSE_BACKBONE=course AUTOGRAD_COURSE_BACKBONE_SEED=$(OTHER_SEED) $(BIN)/python -m pytest -q --nbval --nbval-current-env $(NB_BACKBONE) --nbval-sanitize-with tests/nbval_sanitize.cfg
	AUTOGRAD_COURSE_BACKBONE=course AUTOGRAD_COURSE_BACKBONE_SEED=$(OTHER_SEED) $(BIN)/python -m course_grading selfcheck finetuning --no-cheats

# The oldest torch the lessons claim, with a matching torchvision, straight from PyPI (no constraints.txt:
# it pins the newest). Only what the lessons need: the course extra, pytest and nbval.
$(OLDEST_STAMP):
	@$(MAKE) --no-print-directory python
	test -x $(OLDEST_BIN)/python || $(PYTHON) -m venv $(VENV_COURSE_OLDEST)
	$(OLDEST_BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(OLDEST_BIN)/python -m pip install --quiet "torch==$(TORCH_OLDEST)" "torchvision==$(TORCHVISION_OLDEST)" \
	  -e ".[course]" "pytest>=7" "nbval>=0.11"
	touch $@

# Every lesson, run top to bottom on the oldest torch: every assert must hold there too.
nbval-oldest: dot $(OLDEST_STAMP)
	@$(OLDEST_BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . >/dev/null
	$(OLDEST_BIN)/python -m autograd_course backbone
	AUTOGRAD_COURSE_BACKBONE=course $(OLDEST_BIN)/python -m pytest -q --nbval-lax --nbval-current-env $(NB)

# The lesson-structure check alone. Its per-assignment part: `pytest tests/test_course_structure.py -k assignment`.
structure: setup
	$(BIN)/python -m pytest -q tests/test_course_structure.py

# Solutions and honest alternatives full marks, blanks zero, every cheat of the corpus within its limit:
# one table. JOBS submissions are autograded at a time, each by the trusted grader in sandboxed workers.
JOBS ?= 2
assignments: setup backbone sandbox
	$(BIN)/python -m course_grading selfcheck --jobs $(JOBS)

# A term with fake students (one late, one cheating, one missing), in a throwaway course root.
instructor-e2e: setup backbone sandbox
	$(BIN)/python -m course_grading term

# A class on a real JupyterHub with real Linux accounts (as root; skipped otherwise): release, fetch,
# submit, collect, autograde as the non-root instructor, feedback; students cannot touch each other's work.
hub-test: setup bwrap node
	HUB_PROXY=$(abspath $(HUB_NODE))/node_modules/.bin/configurable-http-proxy $(BIN)/python tests/hub/hub_test.py

# What students get (no solutions, no hidden tests, no grading package), checked for leaks.
student-pack: setup
	$(BIN)/python -m course_grading pack

# ---- dagviz on every PyTorch and Python it claims -----------------------------------------
# pyproject.toml claims torch>=2.2 and Python>=3.10 for dagviz (the lessons need more: nbval-oldest),
# so dagviz's own tests (DAGVIZ_TESTS: the test files that import dagviz; the course's need the
# course's environment) also run on the oldest of both (constraints-oldest.txt, PYTHON_OLDEST) and on
# the newest Python with the pinned torch (PYTHON_NEWEST), each in a venv of its own that holds
# dagviz and its `test` extra only (tools/extra_venv.sh). Their torch wheels come from PyPI (2.2 is a
# CUDA build: a few GB), downloaded once; .ci/run keeps both venvs in its cache outside the clone,
# like the main one. The interpreters are found on PATH or among pyenv's versions
# (tools/find_python.sh), else make says how to install them.
PYTHON_OLDEST ?= python3.10
VENV_OLDEST ?= .venv-oldest
PYTHON_NEWEST ?= python3.13
VENV_NEWEST ?= .venv-newest
DAGVIZ_TESTS := $(shell grep -l -E '^(import dagviz|from dagviz)' tests/test_*.py)

test-oldest: dot
	@tools/extra_venv.sh "$(VENV_OLDEST)" "$(PYTHON_OLDEST)" constraints-oldest.txt PYTHON_OLDEST
	$(VENV_OLDEST)/bin/python -m pytest -q $(DAGVIZ_TESTS)

test-newest: dot
	@tools/extra_venv.sh "$(VENV_NEWEST)" "$(PYTHON_NEWEST)" constraints.txt PYTHON_NEWEST
	$(VENV_NEWEST)/bin/python -m pytest -q $(DAGVIZ_TESTS)

test: setup lint typecheck unit test-wheel test-oldest test-newest browser nbval nbval-oldest i18n-check nbval-zh nbval-other-seed assignments instructor-e2e hub-test student-pack
	@echo "make test: all checks passed"

# ---- authoring ----------------------------------------------------------------------------
notebooks: setup backbone
	AUTOGRAD_COURSE_BACKBONE=course $(BIN)/python tools/run_notebooks.py $(NB)

# Chinese lessons from the English notebooks (their outputs included) and the catalog i18n/zh/.
i18n: setup
	$(BIN)/python tools/i18n.py build

# Each model in its own process, killed if it overruns; about half an hour on 2 cores.
# BENCH_ARGS="--suite extra" for segmentation and video models, "--models densenet121" for one.
BENCH_ARGS ?=
bench: setup
	$(BIN)/python benchmarks/bench_graphs.py --markdown benchmarks/results.md $(BENCH_ARGS)

bench-explore: setup chromium
	$(BIN)/python benchmarks/bench_explore.py

# Generated things only. The instructor's course root (grading/, or $$AUTOGRAD_COURSE_GRADING_ROOT:
# submissions, feedback, the gradebook) is never under build/ or release/, so clean never touches it.
clean:
	rm -rf build release .pytest_cache .ruff_cache

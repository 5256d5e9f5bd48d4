# One command builds the book, one runs every test; each sets up .venv from requirements.txt.
VENV   ?= .venv
PY     := $(VENV)/bin/python
JB     := $(VENV)/bin/jupyter-book
STAMP  := $(VENV)/.installed-stamp
# Use the local data-set mirror beside the checkout when there is one (CI and dev machines).
SHARED := $(wildcard $(CURDIR)/../shared/datasets)
ifneq ($(SHARED),)
export GTP_DATA_MIRROR ?= $(SHARED)
endif
# Tests and chapters run two at a time on two cores: one BLAS thread each, or they thrash.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: setup book test lint pytest nbval book-strict browser lab chapters clean help
help:
	@echo "make book   build the book (executing every chapter) into _build/html"
	@echo "make lint   ruff: lint and import order of the whole tree (pyproject.toml)"
	@echo "make test   lint, run unit tests, validate every chapter with nbval, strict book build,"
	@echo "            then open every page in headless chromium (make browser)"
	@echo "make setup  create .venv, install requirements.txt and the JupyterLab settings"
	@echo "            (chapters open as notebooks: .venv/bin/jupyter lab, see README)"
	@echo "make lab    the chapters as live notebooks in a real JupyterLab (headless chromium)"
	@echo "make teaching  run the built notebook editions in a clean venv, check slides and PDF"
	@echo "make chapters  rewrite chapters into the form JupyterLab saves (after editing by hand)"
	@echo "make clean  remove _build (not the data cache)"

# --no-compile: pip would byte-compile all ~8000 modules (about 30 s of CPU, half of the
# installation); Python compiles the few hundred a build imports on first use instead.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile -r requirements.txt
	@touch $(STAMP)

# JupyterLab settings of the environment, from the one copy Binder's postBuild also installs:
# Markdown chapters open as notebooks (jupytext) by double-click and by URL.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_SETTINGS): binder/overrides.json $(STAMP)
	mkdir -p $(dir $@)
	cp binder/overrides.json $@

setup: $(STAMP) $(LAB_SETTINGS)

# Chapters run as in a reader's Jupyter: without any MPLBACKEND from the caller's
# environment, so that ipykernel's inline backend draws the figures; under Agg every
# figure would be printed as "<Figure size ...>" text.
BUILD_ENV := env -u MPLBACKEND

# The build executes the chapters one per core before Sphinx reads them, into the cache
# myst-nb reads (_ext/book_site.py, execute_chapters; gtp_execution_jobs in _config.yml).
# Then the slides of each part and the whole-book PDF, from the notebook editions the
# build wrote (scripts/handouts.py; the PDF needs chromium, else it is skipped with a
# message), and the graded assignments (scripts/assignments.py, otter-grader).
book: $(STAMP)
	$(PY) scripts/results_cache.py _build
	$(BUILD_ENV) $(JB) build .
	$(PY) scripts/handouts.py _build/html
	$(PY) scripts/assignments.py _build/html
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# tests/browser needs the built book: it runs after book-strict (make browser).
pytest: $(STAMP)
	$(PY) -m pytest -n 2 tests --ignore=tests/browser --ignore=tests/lab \
	    --ignore=tests/test_colab.py --ignore=tests/test_handouts.py --ignore=tests/test_assignments.py

nbval: $(STAMP)
	rm -rf _build/ipynb
	$(PY) scripts/chapters.py ipynb _build/ipynb
	$(PY) -m pytest -n 2 --dist loadfile --nbval-lax -p no:cacheprovider _build/ipynb

book-strict: $(STAMP)
	$(PY) scripts/results_cache.py _build
	$(BUILD_ENV) $(JB) build . -W -n --keep-going
	$(PY) scripts/handouts.py _build/html
	$(PY) scripts/assignments.py _build/html
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

# Real-browser check of the built pages (needs Debian's chromium + chromium-driver,
# skips with a message without them); screenshots land in _build/screenshots/.
browser: $(STAMP)
	$(PY) -m pytest tests/browser

# The chapters as live notebooks in a real JupyterLab started from $(VENV) with fresh user
# settings (skips without chromium, like browser); screenshots in _build/screenshots/lab/.
lab: $(STAMP) $(LAB_SETTINGS)
	$(PY) -m pytest -p no:cacheprovider tests/lab

chapters: $(STAMP)
	$(PY) tests/lab/lab_form.py

# The teaching kit, on the built book: every chapter's student and teacher edition (Colab,
# Binder, download) run in a fresh venv holding only gtp and ipykernel, with no MyST left
# (tests/test_colab.py); the slides and the PDF (tests/test_handouts.py); the assignments
# graded by otter-grader (tests/test_assignments.py).
.PHONY: teaching colab
teaching: $(STAMP)
	$(PY) -m pytest -n 2 tests/test_colab.py tests/test_handouts.py tests/test_assignments.py
colab: teaching

test: lint pytest nbval book-strict teaching browser lab

clean:
	rm -rf _build

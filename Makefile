# meta-course: `make lab` opens the course, `make test` runs every test and notebook.
# Works on a fresh machine with python3 and make. torch is installed first, pinned, so that a bare
# `torch` requirement never pulls a multi-GB CUDA build; override with `make lab TORCH="torch==2.x"`.

PYTHON ?= python3
TORCH ?= torch==2.13.0
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_ARGS ?= --ip=127.0.0.1
SHARED_DATA := $(abspath ../shared/data/omniglot)
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

export MPLBACKEND ?= Agg
# Tests and CI read the offline Omniglot copies beside the project (never committed into it).
ifneq ($(wildcard $(SHARED_DATA)),)
export META_COURSE_DATA ?= $(SHARED_DATA)
endif

.PHONY: lab app test test-fast test-browser bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[lab,test,app]"
	touch $(STAMP)

lab: $(STAMP)
	@echo "Opening JupyterLab on notebooks/ — the URL with its token is printed below."
	cd notebooks && MPLBACKEND= ../$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS)

# The classroom app: every lesson widget as a page without code (Voilà), on http://127.0.0.1:8866/.
# For a classroom network: make app APP_ARGS="--ip 0.0.0.0"
APP_ARGS ?=
app: $(STAMP)
	MPLBACKEND= $(BIN)/python -m meta_course app $(APP_ARGS)

# Two pytest workers, one test file or notebook each at a time, the longest files first (tests/conftest.py), each
# process on one thread (two workers already fill two cores; small networks run faster on one thread than on two
# shared ones). TEST_JOBS / TEST_THREADS override.
TEST_JOBS ?= 2
TEST_THREADS ?= 1
test: $(STAMP)
	META_COURSE_QUICK=1 OMP_NUM_THREADS=$(TEST_THREADS) $(BIN)/python -m pytest tests notebooks --nbval-lax \
		-p no:cacheprovider -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not browser" -p no:cacheprovider

# The browser suite alone (part of `make test`): every widget lesson in JupyterLab and every app page, in Chromium.
test-browser: $(STAMP)
	META_COURSE_QUICK=1 OMP_NUM_THREADS=$(TEST_THREADS) $(BIN)/python -m pytest tests/test_browser.py \
		tests/test_browser_app.py -p no:cacheprovider -n 2 --dist loadfile --durations=0 -q

bench: $(STAMP)
	$(BIN)/python -m meta_course bench sine
	$(BIN)/python -m meta_course bench runs

clean:
	rm -rf $(VENV) runs .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

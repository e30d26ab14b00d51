# The two commands that matter on a fresh machine:
#   make demo   set up, then plan -> apply -> plan the example manifests on the sandbox (no AWS account)
#   make test   set up, then lint, type-check and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint typecheck unit browser-deps contract schema clean bench screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,sandbox]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	bash scripts/demo.sh

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy reconciler

# The controller page's browser tests (tests/ui/) drive Debian's chromium and chromium-driver: installed
# here when missing (apt-get; CI runs as root on Debian). Without them those tests fail, never skip.
browser-deps:
	bash scripts/browser-deps.sh

unit: $(STAMP) browser-deps
	$(BIN)/python -m pytest -n 2 -q

test: lint typecheck unit

# The CLI contract checked from outside (needs ../shared/checks/contract.py beside the project).
contract: $(STAMP)
	$(BIN)/python ../shared/checks/contract.py

schema: $(STAMP)
	$(BIN)/reconciler schema > reconciler.schema.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache reconciler.egg-info

# The README's screenshots of the controller page (docs/images/), taken by the browser tests' scenario.
screenshots: $(STAMP) browser-deps
	bash scripts/screenshots.sh

# Every benchmark of issue 9 against sandbox processes (bench/README.md; many minutes; not part of `make test`:
# benchmarks never gate on time). `make bench BENCH_ARGS=--quick` for a smoke run.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

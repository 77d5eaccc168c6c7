# One entry point for developers and CI. Every target installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Build artefacts live outside the clone so fresh clones (CI) reuse them on the same machine.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/crmdedup-target

.PHONY: demo test test-floor test-spark lint bench dev clean wheel wheel-smoke

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

demo: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/crmdedup demo

test: dev
	cargo test -p crmdedup-core --locked -q
	$(BIN)/python -m pytest -m "not spark"

# crmdedup.spark against one machine, in Spark local mode (pyspark brings its jars; it needs
# Java 17, which .ci/run installs where it is missing). Spark's Python workers must run this
# venv's interpreter, not the first python3 on PATH.
test-spark: dev
	$(BIN)/pip install -q -e '.[test,spark]'
	PYSPARK_PYTHON=$(abspath $(BIN))/python $(BIN)/python -m pytest -m spark tests/spark

# The test suite against the lowest dependency versions pyproject.toml allows (.ci/floor.txt),
# with the extension built by `dev` on PYTHONPATH: the two tests of the installed distribution
# (its console command and its metadata) are deselected, and so are the property tests (the
# engine's invariants, which `make test` runs; the floor is about the dependencies' APIs).
FLOOR := .venv-floor
test-floor: dev
	test -x $(FLOOR)/bin/python || $(PYTHON) -m venv $(FLOOR)
	$(FLOOR)/bin/pip install -q -r .ci/floor.txt pytest pytest-benchmark hypothesis rapidfuzz recordlinkage phonenumbers
	PYTHONPATH=python $(FLOOR)/bin/python -m pytest -q -m "not slow and not spark" \
		--ignore tests/property \
		--deselect tests/robustness/test_cli_inputs.py::test_usage_errors_from_the_installed_command \
		--deselect tests/unit/test_api.py::test_version_is_the_installed_distribution_version

lint: dev
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -q -- -D warnings
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy python/crmdedup
	$(BIN)/python -m mypy.stubtest crmdedup._core

# The wheel users install (abi3: one wheel for every CPython >= 3.11), built with the `dist`
# profile (LTO, one codegen unit), then installed and run where no Rust toolchain is on PATH.
# `WHEEL_PROFILE=release` builds the same wheel from the developers' profile (what `dev`
# already compiled), as CI does to stay within its time budget.
WHEEL_PROFILE ?= dist
wheel: $(BIN)/python
	$(BIN)/pip install -q 'maturin>=1.9.4,<2'
	rm -rf dist
	$(BIN)/maturin build --profile $(WHEEL_PROFILE) --out dist --quiet

wheel-smoke: wheel
	PYTHON=$(PYTHON) .ci/wheel-smoke

bench: $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/python benches/bench_dedupe.py --rows 100000
	$(BIN)/python benches/compare.py --rows 100000 --systems all --timeout 600
	$(BIN)/python benches/quality_suite.py
	$(BIN)/python benches/robustness.py
	$(BIN)/python -m pytest benches --benchmark-enable -q

clean:
	rm -rf $(VENV) $(FLOOR) dist

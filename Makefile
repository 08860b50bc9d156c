VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-all lint fuzz messages typecheck bench clean distclean

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

# The message template from the code, then each language's catalogue brought up to date with it
# (new messages arrive untranslated; tests/test_i18n_catalogues.py names them).
LOCALES := admission/i18n/locales
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output --width 100 \
		--project admission --copyright-holder "admission contributors" -o $(LOCALES)/admission.pot .
	$(VENV)/bin/pybabel update -i $(LOCALES)/admission.pot -d $(LOCALES) -D admission \
		--width 100 --ignore-obsolete

# clean keeps the virtual environment (slow to rebuild); distclean removes it too.
clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache demo-venue

distclean: clean
	rm -rf $(VENV)

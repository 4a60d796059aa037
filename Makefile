# The two commands of the README: `make demo` and `make test`. Both set up everything they need.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint types unit integration install office clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,synapse]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/plenaria demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

integration: $(STAMP) office
	$(PY) -m pytest tests/integration -q

# LibreOffice (headless, Debian's writer without a GUI) opens the compiled documents in the
# tests, as a real office suite would. Installed once when missing (needs root and apt).
office:
	@command -v soffice >/dev/null 2>&1 || { \
	  echo "installing LibreOffice Writer (headless) for the document tests …"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    libreoffice-writer-nogui >/dev/null 2>&1 || { apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    libreoffice-writer-nogui >/dev/null; }; }

test: $(STAMP) office
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache .pytest_cache

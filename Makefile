# Prospector — set-up, demo, tests and lint. Every target is idempotent and fast once set up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamps
PYTEST_ARGS ?=

.PHONY: demo test soak lint setup test-setup browser dovecot clean

## make demo: set everything up, then run the offline demo.
demo: setup
	$(BIN)/prospector demo

## make test: set up with test dependencies and Dovecot, then run the whole suite.
test: test-setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make soak: set up like test, then the soak: the agent for a compressed week (~7 minutes).
soak: test-setup
	$(BIN)/python -m pytest -m soak -rP tests/test_soak.py

## make lint: ruff and mypy, clean.
lint: test-setup
	$(BIN)/ruff check prospector tests bench
	$(BIN)/ruff format --check prospector tests bench
	$(BIN)/mypy

setup: $(STAMP)/install browser
test-setup: $(STAMP)/install-test browser dovecot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP)/install: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	@mkdir -p $(STAMP) && touch $@

$(STAMP)/install-test: pyproject.toml $(STAMP)/install
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

# Chromium: Playwright's own where `playwright install chromium` works; otherwise the system
# package (installed with apt when running as root; otherwise we say what to install).
browser: $(STAMP)/install
	@if [ -f $(STAMP)/browser ] && $(BIN)/python -c 'import sys; from prospector.web.browser import find_installed; sys.exit(0 if find_installed() else 1)'; then \
	  exit 0; \
	fi; \
	if $(BIN)/playwright install chromium >$(STAMP)/playwright-install.log 2>&1; then \
	  echo "Chromium: Playwright's own browser installed"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then $(BIN)/playwright install-deps chromium >/dev/null; fi; \
	elif command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then \
	  echo "Chromium: 'playwright install chromium' failed (see $(STAMP)/playwright-install.log); using the system Chromium"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Chromium: 'playwright install chromium' failed; installing the system package with apt"; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >$(STAMP)/apt-chromium.log 2>&1 \
	    || { echo "apt-get install chromium failed; see $(STAMP)/apt-chromium.log" >&2; exit 1; }; \
	else \
	  echo "Chromium is missing and 'playwright install chromium' failed (see $(STAMP)/playwright-install.log)." >&2; \
	  echo "Install it with: sudo apt-get install chromium   (Debian/Ubuntu), then run make again." >&2; \
	  exit 1; \
	fi; \
	touch $(STAMP)/browser

# Dovecot (IMAP) for the test suite: the tests start their own instance on loopback.
dovecot:
	@if command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Dovecot: installing dovecot-imapd with apt"; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd) >$(STAMP)/apt-dovecot.log 2>&1 \
	    || { echo "apt-get install dovecot-imapd failed; see $(STAMP)/apt-dovecot.log" >&2; exit 1; }; \
	else \
	  echo "Dovecot is missing: sudo apt-get install dovecot-imapd   (Debian/Ubuntu), then run make again." >&2; \
	  exit 1; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache prospector-demo

# Kabinet: `make run` for the demo, `make test` for the whole suite. See README.md.
SHELL := /bin/bash
PORT ?= 8000
# Links in the demo's e-mails point at the demo server.
export SITE_URL ?= http://127.0.0.1:$(PORT)
VENV := .venv
PY := $(VENV)/bin/python
# pyenv (and uv) read .python-version; without them, any python3.12 on PATH will do.
PYTHON ?= $(shell command -v python3.12 || command -v python3)

.PHONY: run test lint pytest install install-dev messages lock bench bench-smoke clean

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Kabinet needs Python 3.12 or newer (.python-version)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Refresh the translation catalogs after changing user-visible text, translate the new
# entries in kabinet/locale/ru/LC_MESSAGES/django.po, then run this again to compile them.
# The compiled .mo files are committed, so a new machine needs no gettext tools.
messages: $(VENV)/.installed
	cd kabinet && ../$(PY) ../manage.py makemessages -l ru -l en --ignore settings_test.py --no-obsolete --verbosity 0
	cd kabinet && ../$(PY) ../manage.py compilemessages --verbosity 0

run: install
	DEBUG=true $(PY) manage.py migrate --noinput --verbosity 0
	DEBUG=true $(PY) manage.py seed_demo
	@echo "Staff sign in without a second factor in the demo (MFA_REQUIRED_FOR_STAFF=false);"
	@echo "E-mail goes to var/mail/: the worker writes there the invitation of Dental Pro's key user."
	@echo "Orders go to a fake ERP on http://127.0.0.1:$${FAKE_ERP_PORT:-8001}/ (FAKE_ERP_MODE=503 make run: an ERP that is down)."
	@echo
	@echo "Kabinet is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops the server, the worker and the scheduler)"
	@DEBUG=true MFA_REQUIRED_FOR_STAFF=$${MFA_REQUIRED_FOR_STAFF:-false} PORT=$(PORT) scripts/run-demo

test: install-dev
	CI=$(CI) scripts/test

lint: install-dev
	scripts/test lint

# Speed figures of QUALITY.md (P1, P2 so far) on data set L, on PostgreSQL (when reachable)
# and SQLite: prints a table, writes bench/results.json, exits 1 if a figure fails. Minutes.
bench: install-dev
	$(PY) -m bench.run --size L

# The CI smoke: data set S, a few rounds; checks the benchmarks run and report (~20 s).
bench-smoke: install-dev
	$(PY) -m bench.run --smoke

lock:
	scripts/lock

clean:
	rm -rf $(VENV) var

# Two commands: `make run` (install, migrate, seed, serve) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
TRANSLATIONS := marketplace/translations
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install system-deps translations extract-messages migrate seed clean

run: install translations
	$(FLASK) db upgrade
	$(FLASK) seed demo --if-empty
	scripts/run_demo.sh $(HOST) $(PORT)

test: system-deps install translations
	$(BIN)/pytest $(PYTEST_ARGS)

install: $(STAMP)

# Chromium, a CJK font and the PostgreSQL tools: installed through apt when root, else the command is shown.
system-deps:
	scripts/system_deps.sh

$(STAMP): setup.cfg pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,demo]'
	touch $(STAMP)

translations: install $(MO_FILES)

%.mo: %.po
	$(BIN)/pybabel compile --use-fuzzy -d $(TRANSLATIONS) -D messages --statistics 2>&1 | tail -n 2

# Maintainers: after changing UI text, refresh the catalogue and list what needs translating.
extract-messages: install
	$(BIN)/python scripts/update_catalogue.py

migrate: install
	$(FLASK) db upgrade

clean:
	rm -rf $(VENV) $(MO_FILES)

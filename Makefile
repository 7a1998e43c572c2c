# Two commands do everything: `make run` and `make test`. Both set up whatever is missing
# first: the Python 3.10 venv with the pinned packages, the spaCy pipeline and the model.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
MODEL := models/assistant.tar.gz
SPACY_PIPELINE := build/spacy-sv
# pip-audit has a venv of its own: rasa 3.6 pins packaging<21, pip-audit needs a newer one.
AUDIT_VENV := build/audit-venv
CHROMIUM := /usr/bin/chromium
AXE := node_modules/axe-core/axe.min.js
# Retrain only when what the model is made of changed.
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null)

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONPATH := $(CURDIR)

.PHONY: help setup browser-test-tools run run-scaled test test-fast audit staff-user validate train bench inbox inbox-import stats evaluate lock clean

help:
	@echo "make run     set up what is missing, then start the assistant:"
	@echo "             the chat page on http://localhost:8080 (English: /en/),"
	@echo "             Rasa server on http://localhost:5005 (REST: /webhooks/rest/webhook)"
	@echo "             the action server on http://localhost:5055, the model store the Rasa"
	@echo "             server takes the live model from on :8082, and the staff console on"
	@echo "             http://localhost:8081; Ctrl-C stops all"
	@echo "make run-scaled  the same with conversations in PostgreSQL and locks in Redis"
	@echo "             (127.0.0.1:5432 and :6379 by default), two Rasa instances on ports"
	@echo "             5005 and 5006; settings: docs/deployment.md"
	@echo "make test    set up what is missing (also Chromium and axe-core for the browser"
	@echo "             tests), then run every test"
	@echo "make test-fast  the tests that need no trained model and no browser (under a minute)"
	@echo "make audit   only the dependency audit of make test (pip-audit over requirements.lock;"
	@echo "             accepted findings: SECURITY.md)"
	@echo "make train   retrain the model if data, domain or config changed"
	@echo "make staff-user NAME=anna  create the staff console's first admin account (asks"
	@echo "             for its password); later accounts are made in the console (port 8081)"
	@echo "make inbox   the messages of the last 7 days worth a look, as reports/inbox.csv"
	@echo "             (DAYS=30 for more); see docs/support-leads.md"
	@echo "make inbox-import FILE=reports/inbox.csv"
	@echo "             add the rows with a correct_intent to the training data"
	@echo "make stats   usage figures of the last 30 days (DAYS=...): reports/stats/"
	@echo "make evaluate  how well the model understands, per language and kind of message"
	@echo "             (stories, mixed languages, misspelt, other languages): reports/evaluation/"
	@echo "make bench   speed, memory and accuracy beside Rasa's default pipeline, trained"
	@echo "             from scratch in the same run: bench/RESULTS.md (over two hours on"
	@echo "             2 cores; bench/README.md has a 16-minute way that keeps the baseline's"
	@echo "             serving figures; QUICK=1: a check of the harness, in seconds)"
	@echo "make bench PROFILE=scaled  the same load on one worker, two workers and two"
	@echo "             instances of the scaled profile: bench/SCALED.md (about 10 minutes)"
	@echo "make bench PROFILE=console  the staff console's pages over 100,000 conversations"
	@echo "             in PostgreSQL: bench/CONSOLE.md (about 10 minutes)"
	@echo "make bench PROFILE=training  the chat's reply times while a model trains in the"
	@echo "             background as the staff console trains it, and the time from the request"
	@echo "             to the new model answering: bench/TRAINING.md (about 10 minutes)"
	@echo "make lock    re-pin requirements.lock from requirements.in"
	@echo "make clean   remove the venv, the spaCy pipeline, models and test results"

setup: $(MODEL)

run: setup
	$(BIN)/python -m assistant.deployment

run-scaled: setup
	ASSISTANT_PROFILE=scaled $(BIN)/python -m assistant.deployment

test: setup browser-test-tools $(AUDIT_VENV)/.installed
	$(BIN)/rasa data validate --fail-on-warnings
	$(BIN)/pytest

# The inner loop: what needs no trained model, no browser and no audit venv (markers set in
# tests/conftest.py).
test-fast: $(BIN)/.installed $(SPACY_PIPELINE)/meta.json
	$(BIN)/pytest -m "not model and not browser" --deselect tests/test_dependency_audit.py

audit: $(BIN)/.installed $(AUDIT_VENV)/.installed
	$(BIN)/pytest tests/test_dependency_audit.py

validate: $(BIN)/.installed
	$(BIN)/rasa data validate --fail-on-warnings

train: $(MODEL)

browser-test-tools: $(CHROMIUM) $(AXE)

$(CHROMIUM):
	scripts/install-chromium.sh

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(BIN)/.installed: requirements.lock scripts/find-python.sh
	@if ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 9), (3, 10)))' 2>/dev/null; then \
		python="$(or $(PYTHON),$$(scripts/find-python.sh))" || exit 1; \
		echo "Creating $(VENV) with $$python"; \
		rm -rf $(VENV) && "$$python" -m venv $(VENV) || exit 1; \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

# With the interpreter the project's venv is made with; its own pins, so the audit is repeatable.
$(AUDIT_VENV)/.installed: requirements-audit.lock scripts/find-python.sh
	@python="$(or $(PYTHON),$$(scripts/find-python.sh))" || exit 1; \
	echo "Creating $(AUDIT_VENV) with $$python"; \
	rm -rf $(AUDIT_VENV) && "$$python" -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-audit.lock
	touch $@

$(SPACY_PIPELINE)/meta.json: $(BIN)/.installed assistant/nlu/build_spacy_pipeline.py
	$(BIN)/python -m assistant.nlu.build_spacy_pipeline $(SPACY_PIPELINE)

$(MODEL): $(BIN)/.installed $(SPACY_PIPELINE)/meta.json $(TRAINING_INPUTS)
	$(BIN)/rasa train --fixed-model-name assistant --out models
	@# rasa skips training when its fingerprint says nothing changed; mark the model current.
	touch $@

staff-user: $(BIN)/.installed
	@test -n "$(NAME)" || { echo "Say whose account: make staff-user NAME=anna (ROLE=admin by default)"; exit 2; }
	@mkdir -p var
	$(BIN)/python -m assistant.console create-user "$(NAME)" --role $(or $(ROLE),admin)

inbox: $(BIN)/.installed
	@mkdir -p var
	$(BIN)/python -m assistant.review.inbox export --days $(or $(DAYS),7)

inbox-import: $(BIN)/.installed
	@test -n "$(FILE)" || { echo "Say which file: make inbox-import FILE=reports/inbox.csv"; exit 2; }
	$(BIN)/python -m assistant.review.inbox import "$(FILE)"

bench: $(MODEL)
ifeq ($(PROFILE),console)
	$(BIN)/python -m bench.console $(if $(QUICK),--conversations 300 --repeats 3 --out reports/bench/CONSOLE.md)
else ifeq ($(PROFILE),scaled)
	$(BIN)/python -m bench.scaled $(if $(QUICK),--quick --out reports/bench/SCALED.md)
else ifeq ($(PROFILE),training)
	$(BIN)/python -m bench.training_load $(if $(QUICK),--quick --out reports/bench/TRAINING.md)
else
	$(BIN)/python -m bench $(if $(QUICK),--quick --out reports/bench/RESULTS.md)
endif

evaluate: $(MODEL)
	$(BIN)/python -m assistant.review.evaluation

stats: $(BIN)/.installed
	@mkdir -p var
	$(BIN)/python -m assistant.review.stats --days $(or $(DAYS),30)

lock: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.in
	{ echo "# Every package pinned: generated by \`make lock\` from requirements.in (pip freeze --all)."; \
	  $(BIN)/python -m pip freeze --all; } > requirements.lock
	touch $(BIN)/.installed

clean:
	rm -rf $(VENV) build results models/*.tar.gz .pytest_cache node_modules

# Kafka Arena. `make help` lists the targets; a clean clone needs only python3 (+ Java 17 or docker).
PY := .venv/bin/python
BOOTSTRAP ?=
ARGS ?=
PYTEST_ARGS ?=
ADVERTISE ?=
NAME ?=

# BOOTSTRAP=host:port points play/test/bench at an existing broker (KAFKA_BOOTSTRAP_SERVERS).
WITH_BOOTSTRAP = $(if $(BOOTSTRAP),KAFKA_BOOTSTRAP_SERVERS=$(BOOTSTRAP) )

# True when a docker engine answers (not just the client being installed).
DOCKER_UP = docker info >/dev/null 2>&1

.DEFAULT_GOAL := help
.PHONY: help venv broker cluster host user stop play check test lint types fmt bench

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z.\/-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo '  variables: ARGS="--headless --seconds 5" (play), PYTEST_ARGS=..., BOOTSTRAP=host:port, ADVERTISE=HOST (host), NAME=alice (user)'

.venv/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: .venv/.installed ## create .venv and install requirements-dev.txt

broker: venv ## start Kafka (docker compose if an engine answers, else a local broker)
	@if [ -n "$(BOOTSTRAP)" ]; then echo "using the broker at $(BOOTSTRAP)"; \
	elif $(DOCKER_UP); then docker compose up -d --wait && echo localhost:9092; \
	else $(PY) -m broker start; fi

cluster: venv ## start a three-broker Kafka cluster (compose profile `cluster`, else local) and print its bootstrap list
	@if $(DOCKER_UP); then \
		docker compose --profile cluster up -d --wait kafka-1 kafka-2 kafka-3 && \
		echo localhost:19192,localhost:19193,localhost:19194; \
	else $(PY) -m broker cluster start; fi

host: venv ## host a game friends join from other computers (TLS, logins, ACLs, quotas): prints their commands (ADVERTISE=HOST)
	$(PY) -m broker start --lan $(if $(ADVERTISE),--advertise $(ADVERTISE))

user: venv ## give a friend an account of their own on the hosted game (NAME=alice): prints their command
	@if [ -z "$(NAME)" ]; then echo "make user wants NAME=..., e.g. make user NAME=alice" >&2; exit 2; fi
	$(PY) -m broker user add $(NAME) --lan

stop: ## stop every broker and cluster `make broker`, `cluster` or `host` (or a compose profile) started
	@if $(DOCKER_UP); then docker compose --profile cluster --profile secure --profile lan down; fi
	@if [ -x $(PY) ]; then $(PY) -m broker stop; $(PY) -m broker cluster stop; \
		$(PY) -m broker stop --secure; $(PY) -m broker stop --lan; fi

play: venv broker ## play: the title screen (join or create a match) + spectator + bots in `main` (ARGS="--headless --seconds 5")
	$(WITH_BOOTSTRAP)$(PY) -m game.play $(ARGS)

check: lint types ## every fast check (lint, types, layer rules, unit tests; no broker): well under a minute
	$(PY) -m pytest -q tests/unit

test: venv ## run the tests (starts a test broker unless KAFKA_BOOTSTRAP_SERVERS is set)
	$(WITH_BOOTSTRAP)$(PY) -m pytest $(PYTEST_ARGS)

lint: venv ## ruff lint + format check
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

types: venv ## mypy on the whole tree (config in pyproject.toml)
	$(PY) -m mypy

fmt: venv ## ruff format + autofix
	$(PY) -m ruff format . && $(PY) -m ruff check --fix .

bench: venv broker ## run the benchmarks
	$(WITH_BOOTSTRAP)$(PY) -m bench all

# Loyalty engine: developer and CI entry points. GNU make; see README.md.

PYTHON      ?= python3.11
VENV        ?= .venv
SAM_VENV    ?= .venv-sam
TOOLS_VENV  ?= .venv-tools
LOCK        ?= requirements/dev.lock
SAM_LOCK    ?= requirements/sam.lock
CHECKOV_VENV ?= .venv-checkov
CHECKOV_LOCK ?= requirements/checkov.lock
LAYER_REQS  ?= layers/core/requirements.txt
TEMPLATE    ?= template.yaml
BUILD_DIR   ?= .aws-sam/build
# Pinned so that a fresh clone gets the same installer and the same lock tool.
PIP_VERSION ?= 26.3
UV_VERSION  ?= 0.13.9
# `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest release allowed by pyproject.toml.
LOCK_FLAGS  ?=
BENCH_FLAGS ?=
# `make soak SOAK_FLAGS="--seed 42 --operations 20000"` reruns a given workload.
SOAK_FLAGS  ?=
# The Lambda runtime (template.yaml: python3.13). `make build` needs this interpreter.
LAMBDA_PYTHON ?= python3.13

export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= eu-central-1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --warn-undefined-variables
.DEFAULT_GOAL := help

VENV_STAMP := $(VENV)/.installed
SAM_STAMP  := $(SAM_VENV)/.installed
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

# pyenv keeps extra interpreters outside PATH (its shim for python3.13 fails unless selected):
# prepend the newest pyenv 3.13.x bin directory, if any, for the targets that need python3.13.
PYENV_ROOT_DIR := $(shell pyenv root 2>/dev/null)
PY313_BIN      := $(lastword $(sort $(wildcard $(PYENV_ROOT_DIR)/versions/3.13.*/bin)))
LAMBDA_PATH    := $(if $(PY313_BIN),$(PY313_BIN):)$(PATH)

.PHONY: help venv sam-venv test lint fmt check build run bench soak openapi events-doc lock clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

venv: $(VENV_STAMP) ## create .venv from the lock (idempotent)

$(VENV_STAMP): $(LOCK) pyproject.toml tools/sam-emulator/pyproject.toml
	@echo "installing $(VENV) from $(LOCK)"
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip==$(PIP_VERSION)
	$(VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(VENV)/bin/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	$(VENV)/bin/python -m pip install --quiet --no-deps --no-build-isolation --editable tools/sam-emulator
	$(VENV)/bin/python -m pip check
	touch $@

sam-venv: $(SAM_STAMP) ## create .venv-sam (aws-sam-cli, cfn-lint) from its own lock

$(SAM_STAMP): $(SAM_LOCK)
	@echo "installing $(SAM_VENV) from $(SAM_LOCK)"
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip==$(PIP_VERSION)
	$(SAM_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(SAM_LOCK)
	touch $@

# checkov pins its own boto3 and pydantic: a venv of its own, from its own lock (requirements/checkov.in).
$(CHECKOV_STAMP): $(CHECKOV_LOCK)
	@echo "installing $(CHECKOV_VENV) from $(CHECKOV_LOCK)"
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip==$(PIP_VERSION)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(CHECKOV_LOCK)
	touch $@

# The suite on every core (pytest-xdist, one worker per core), a whole test file per worker at a time
# (--dist loadfile): each file's module-scoped stack (e2e, the fuzzer) is built once, not once per worker,
# and its tests share one moto. TEST_WORKERS=0 runs it in this process, test by test as before.
TEST_WORKERS ?= auto

test: $(VENV_STAMP) ## run the whole suite (no test collected = failure)
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# lint-imports checks pyproject.toml's [tool.importlinter] contracts (the layering); --no-cache: the graph
# takes a second to build and no cache directory is left in the checkout.
lint: $(VENV_STAMP) ## ruff check, ruff format --check, mypy (strict on the core), import contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/core
	$(VENV)/bin/lint-imports --no-cache

fmt: $(VENV_STAMP) ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# `sam validate` runs the SAM translator (catches what cfn-lint lets through, e.g. a bad RetentionPolicy);
# `--lint` runs cfn-lint through the SAM CLI; checkov scans the policies (.checkov.yaml says what it skips
# and why). No AWS credentials are needed for any of them.
check: $(SAM_STAMP) $(CHECKOV_STAMP) ## cfn-lint, sam validate (--lint), checkov on template.yaml; layer pins match the lock
	$(PYTHON) scripts/check_layer_pins.py $(LAYER_REQS) $(LOCK)
	$(SAM_VENV)/bin/cfn-lint --regions $(AWS_DEFAULT_REGION) -- $(TEMPLATE)
	$(SAM_VENV)/bin/sam validate --template-file $(TEMPLATE) --region $(AWS_DEFAULT_REGION)
	$(SAM_VENV)/bin/sam validate --lint --template-file $(TEMPLATE) --region $(AWS_DEFAULT_REGION)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --file $(TEMPLATE)

build: $(SAM_STAMP) ## sam build into .aws-sam, then precompile the layer (hash-checked .pyc)
	@export PATH="$(LAMBDA_PATH)"
	case "$(LAMBDA_PYTHON)" in */*) PATH="$$(dirname "$(LAMBDA_PYTHON)"):$$PATH" ;; esac
	if ! $(LAMBDA_PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; then
		echo "error: make build needs $(LAMBDA_PYTHON) (the Lambda runtime) on PATH or under \$$(pyenv root)/versions/3.13.*;" >&2
		echo "       install it (e.g. 'pyenv install 3.13') or pass LAMBDA_PYTHON=/path/to/python3.13" >&2
		exit 1
	fi
	echo "Lambda runtime interpreter: $$(command -v $(LAMBDA_PYTHON)) ($$($(LAMBDA_PYTHON) -V))"
	set -x
	$(SAM_VENV)/bin/sam build --template-file $(TEMPLATE) --build-dir $(BUILD_DIR)
	PYTHONPATH=layers/core $(PYTHON) scripts/trim_babel.py $(BUILD_DIR)/CoreLayer/python
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode checked-hash $(BUILD_DIR)/CoreLayer/python

# The local stack (local/ on tools/sam-emulator): template.yaml on moto's server, the API on
# http://127.0.0.1:$${PORT:-3000}. LOCAL_STOREFRONT_KEY / LOCAL_ADMIN_KEY override the local API keys;
# LOCAL_PARAMETER_OVERRIDES="StorefrontKeyRateLimit=1 ..." overrides template parameters. Ctrl-C stops it.
run: $(VENV_STAMP) ## start the whole system locally: no AWS account, no Docker (PORT=3000)
	exec $(VENV)/bin/python -m local

# `make bench BENCH_FLAGS="--markdown docs/performance.md"` also rewrites the performance page.
bench: $(VENV_STAMP) ## calls per request, cold start, core speed and KPI read cost against their budgets (~5 min)
	$(VENV)/bin/python scripts/bench $(BENCH_FLAGS)

# niced: it keeps a core busy for a long while on a shared machine. The functions' JSON log lines are
# left out; anything else on stderr (a traceback) is shown, and the soak's exit status is make's.
soak: $(VENV_STAMP) ## 100,000 ledger operations from 8 workers under injected faults, every invariant checked
	nice $(VENV)/bin/python -W "ignore:No application metrics:UserWarning" -m tests.soak --operations 100000 \
		$(SOAK_FLAGS) 2>&1 | grep --line-buffered -v -e '^{' -e '^$$'

openapi: $(VENV_STAMP) ## regenerate docs/openapi.json from the resolvers and template.yaml
	$(VENV)/bin/loyalty openapi --write

events-doc: $(VENV_STAMP) ## regenerate docs/events.md from the event models
	$(VENV)/bin/loyalty events-doc --write

# Regenerate the locks (network: PyPI). Commit the results.
lock: ## re-resolve requirements/*.lock and layers/core/requirements.txt from pyproject.toml
	@test -x $(TOOLS_VENV)/bin/uv || { $(PYTHON) -m venv $(TOOLS_VENV) && $(TOOLS_VENV)/bin/python -m pip install --quiet uv==$(UV_VERSION); }
	$(TOOLS_VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" $(LOCK_FLAGS) --quiet -o $(LOCK)
	$(TOOLS_VENV)/bin/uv pip compile requirements/sam.in --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" $(LOCK_FLAGS) --quiet -o $(SAM_LOCK)
	$(TOOLS_VENV)/bin/uv pip compile requirements/checkov.in --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" $(LOCK_FLAGS) --quiet -o $(CHECKOV_LOCK)
	$(TOOLS_VENV)/bin/uv pip compile pyproject.toml --constraint $(LOCK) \
		--python-version 3.13 --python-platform aarch64-manylinux_2_28 \
		--custom-compile-command "make lock" --quiet -o $(LAYER_REQS)

clean: ## remove build output and caches (keeps the venvs)
	rm -rf .aws-sam build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -path ./$(SAM_VENV) -prune -o -path ./$(TOOLS_VENV) -prune \
		-o -type d -name __pycache__ -exec rm -rf {} +

# Two commands for a new user: `make mock` and `make test`. Both bootstrap .venv.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 4010
TARGET ?=
PROFILE ?= fast
# SPEEDUPS=off: the mock without mock_server/speedups.py (Connexion internals), in every make target.
ifdef SPEEDUPS
export HUSKYVOICE_SPEEDUPS := $(SPEEDUPS)
endif
# K=<pytest -k expression> narrows the contract suite; ARGS=... passes any other pytest options.
SUITE_ARGS = $(if $(KEYS),--keys $(KEYS)) $(if $(strip $(K)$(ARGS)),-- $(if $(K),-k '$(K)') $(ARGS))

.PHONY: mock test unit contract lint clauses fuzz fuzz-raw bench clean
FUZZ_EXAMPLES ?= 2500  # ~20,000 requests, ~9 minutes (seed 7: 20,582)

# The interpreter .venv is made with. .venv is started over when PYTHON names another one, or
# when its bootstrap never finished (no stamp): a half-made .venv would fail the same way again.
PY_ID   = $(shell $(PYTHON) -c 'import sys; print(sys.executable, sys.version.split()[0])' 2>/dev/null)
VENV_ID = $(shell cat $(VENV)/.python-id 2>/dev/null)
ifneq ($(PY_ID),$(VENV_ID))
.PHONY: $(STAMP)
endif

$(STAMP): pyproject.toml
	@test -n "$(PY_ID)" || { echo "make: no $(PYTHON) here: install Python 3.11, or pass PYTHON=/path/to/python3.11"; exit 2; }
	@if [ ! -f $(STAMP) ] || [ "$(VENV_ID)" != "$(PY_ID)" ]; then \
		echo "make: making $(VENV) with $(PY_ID)"; rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# Bytecode for the mock, for environments that set PYTHONDONTWRITEBYTECODE (start-up).
	$(BIN)/python -m compileall -q mock_server
	@echo "$(PY_ID)" > $(VENV)/.python-id
	@touch $(STAMP)

## Serve the mock on 127.0.0.1:4010 with the default fixtures.
mock: $(STAMP)
	$(BIN)/huskyvoice-mock --host $(HOST) --port $(PORT)

## The project's own tests, then the contract suite against a fresh bundled mock;
## with TARGET=<base url>, the contract suite against that server only.
test: $(STAMP)
ifeq ($(strip $(TARGET)),)
	$(BIN)/python -m pytest tests
	$(BIN)/python -m contract_tests.run --profile $(PROFILE) $(SUITE_ARGS)
else
	$(BIN)/python -m contract_tests.run --profile $(PROFILE) --target $(TARGET) $(SUITE_ARGS)
endif

unit: $(STAMP)
	$(BIN)/python -m pytest tests

contract: $(STAMP)
	$(BIN)/python -m contract_tests.run --profile $(PROFILE) $(if $(TARGET),--target $(TARGET)) $(SUITE_ARGS)

## Every behaviour sentence of the docs, with the tests that enforce it; fails on any uncovered.
clauses: $(STAMP)
	$(BIN)/python -m contract_tests.clauses

## A long Schemathesis campaign against a fresh mock (all phases and checks); prints the request count.
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m contract_tests.fuzz

## Hostile raw HTTP against the CLI's own server (tests/test_raw_http_fuzz.py); prints the request count.
RAW_FUZZ_EXAMPLES ?= 20000
RAW_FUZZ_SEED ?= 0
fuzz-raw: $(STAMP)
	RAW_FUZZ_EXAMPLES=$(RAW_FUZZ_EXAMPLES) RAW_FUZZ_SEED=$(RAW_FUZZ_SEED) $(BIN)/python -m pytest -s tests/test_raw_http_fuzz.py

## Benchmarks (figures printed, never asserted): ours vs Prism under wrk, slots at scale, memory.
bench: $(STAMP)
	$(BIN)/python bench/prism_compare.py
	$(BIN)/python bench/slots_scale.py
	$(BIN)/python bench/memory.py

## Validate the spec and lint it with Redocly's recommended rules.
lint: $(STAMP)
	$(BIN)/python -m openapi_spec_validator openapi.yaml mock_server/control.yaml mock_server/proxy.yaml
	npx --yes @redocly/cli@2.77.0 lint openapi.yaml mock_server/control.yaml mock_server/proxy.yaml --format=stylish

clean:
	rm -rf $(VENV) reports .pytest_cache *.egg-info

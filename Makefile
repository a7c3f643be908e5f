# Couvert - the two commands are `make dev` and `make test`; both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: dev dev-stop test lint bench openapi clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run everything locally: PostgreSQL under .local/, migrations, demo location, HTTP server on :8000
dev: $(STAMP)
	$(BIN)/couvert dev

## Stop the local PostgreSQL that `make dev` leaves running under .local/ (it is reused next time)
dev-stop: $(STAMP)
	$(BIN)/python -c "from couvert.pgcluster import LocalCluster; LocalCluster('.local/pg', throwaway=False).stop()"

## Lint, then the whole test suite against a throwaway PostgreSQL (or $$DATABASE_URL)
test: $(STAMP) lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/couvert openapi --check

## Benchmarks of performance.md: prints a table, writes bench/results.json
bench: $(STAMP)
	$(BIN)/python -m bench

openapi: $(STAMP)
	$(BIN)/couvert openapi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

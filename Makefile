# Couvert - the two commands are `make dev` and `make test`; both install what they need.
# The interpreter the .venv is built on: the distribution's CPython where it is 3.11 or newer and can
# make a venv, else python3 from PATH.  Distributions build CPython with profile-guided and link-time
# optimisation, pyenv's default build without: the handlers spend about a tenth less CPU on the
# former (bench/README.md, "Eighth pass").
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' \
                  2>/dev/null && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: dev dev-stop test test-faketime test-pgbouncer chromium axe lint bench openapi clean rds-ca

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
	$(BIN)/python -c "from couvert_dev.pgcluster import LocalCluster; LocalCluster('.local/pg', throwaway=False).stop()"

## Lint, the whole test suite against a throwaway PostgreSQL (or $$DATABASE_URL), then the suite again
## with the application's clock 400 days ahead (libfaketime) while PostgreSQL keeps the real one, and
## once more with the functions reaching PostgreSQL through PgBouncer in transaction mode (as RDS Proxy)
test: $(STAMP) lint chromium axe
	$(BIN)/pytest -q
	$(MAKE) --no-print-directory test-faketime
	$(MAKE) --no-print-directory test-pgbouncer

test-pgbouncer: $(STAMP)
	COUVERT_TEST_POOLER=pgbouncer $(BIN)/pytest -q -m "not fuzz and not calibration and not browser"

## Debian's Chromium for the browser tests (Playwright drives it); installed when missing, as root
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  { echo "make test: install Debian's chromium package for the browser tests"; exit 1; }

## axe-core (npm) for the pages' accessibility checks, under build/npm (the tests install it too when missing)
AXE := build/npm/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE):
	npm install --prefix build/npm --no-audit --no-fund --silent axe-core@4.14.1

test-faketime: $(STAMP)
	tests/with_faketime.sh $(BIN)/pytest -q -m "not fuzz and not calibration and not browser"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/couvert openapi --check

## Benchmarks (bench/README.md): prints a table, writes bench/results.json
bench: $(STAMP)
	$(BIN)/python -m bench

## The RDS CA bundle the functions verify the database's certificate with (before `sam build`)
RDS_CA := layers/engine/couvert/certs/rds-global-bundle.pem
rds-ca: $(RDS_CA)
$(RDS_CA):
	mkdir -p $(dir $@)
	curl -fsSL https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem -o $@

openapi: $(STAMP)
	$(BIN)/couvert openapi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

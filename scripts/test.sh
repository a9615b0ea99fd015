#!/usr/bin/env bash
# Installs everything (scripts/setup.sh) and runs the whole test suite: lint, import contracts,
# unit, integration and end-to-end tests on SQLite, then the end-to-end tests again with all
# state on PostgreSQL (server and state tests run on both databases in the first pass already).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export RAY_USAGE_STATS_ENABLED=0
.venv/bin/ruff check skycore skylet tests benchmarks
.venv/bin/lint-imports
.venv/bin/python -m pytest "$@"
SKYCORE_TEST_DB=postgresql .venv/bin/python -m pytest "$@" tests/e2e

#!/usr/bin/env bash
# Installs everything (scripts/setup.sh) and runs the whole test suite: lint, import contracts,
# unit, integration and end-to-end tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export RAY_USAGE_STATS_ENABLED=0
.venv/bin/ruff check skycore skylet tests benchmarks
.venv/bin/lint-imports
.venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# Installs what skycore needs on a fresh Debian/Ubuntu machine: system packages (when run as
# root with apt: rsync for workdir sync, procps, PostgreSQL for the tests that run the server on
# it) and the project's virtualenv in .venv with skycore, its test tools and the test-only
# catalog plugin (its clouds stay disabled unless SKYCORE_TESTCLOUDS=1).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(rsync procps postgresql)
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q -e tests/plugin_fixtures/sky_testclouds 2>&1 \
  | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import skycore, skylet, ray" \
  || { echo "setup failed: skycore is not importable from .venv" >&2; exit 1; }

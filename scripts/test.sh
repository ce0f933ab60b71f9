#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: creates .venv, installs the package with
# everything the tests start for real (frameworks, servers, oracles), lints, then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -U pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,lint]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
bash scripts/ensure-chromium.sh  # the browser of the HTML report test, where it can be had
exec .venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: creates .venv, installs the package with
# everything the tests start for real (frameworks, servers, oracles, nginx), lints, builds the
# docs site with warnings as errors, then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -U pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,lint,docs]'
# nginx in front of the application servers (tests/tools/test_docs_proxy.py, docs/proxy.md):
# Debian's package, where it is missing and can be installed; the test skips, saying so,
# where it cannot.  RUNLEVEL=1: the package must not start its own nginx on port 80.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive RUNLEVEL=1
    { apt-get install -y -qq nginx || { apt-get update -qq && apt-get install -y -qq nginx; }; } \
      >/dev/null 2>&1 || echo "scripts/test.sh: nginx could not be installed" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
bash scripts/ensure-chromium.sh  # the browser of the HTML report test, where it can be had
# The docs site (mkdocs.yml): every page, the generated ones and the API reference from the
# docstrings; a broken link or reference is an error.
SITE=$(mktemp -d)
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet --site-dir "$SITE"
rm -rf "$SITE"
exec .venv/bin/python -m pytest "$@"

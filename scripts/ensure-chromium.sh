#!/usr/bin/env bash
# Debian's chromium, for the test that renders `statusguard check --format html` in a real
# browser (tests/tools/test_audit_reports.py). Installs it where it is missing and apt-get can;
# otherwise says why, and the test skips with that reason. Never fails the test run.
set -u
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no apt-get on this machine; the HTML report test will be skipped" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "ensure-chromium: not root and no sudo; the HTML report test will be skipped" >&2
    exit 0
  fi
fi
echo "ensure-chromium: installing Debian's chromium (apt-get)" >&2
if $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
  && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium fonts-dejavu-core >/dev/null; then
  echo "ensure-chromium: $(chromium --version 2>/dev/null)" >&2
else
  echo "ensure-chromium: apt-get could not install chromium; the HTML report test will be skipped" >&2
fi
exit 0

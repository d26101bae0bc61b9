#!/usr/bin/env bash
# Install allo-rtl into .venv and run the demo on the embedded default (Amaranth's simulator;
# no external simulator needed).   bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .venv ] || python3 -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install -q -U pip
python -m pip install -q -e .
python examples/demo.py

#!/bin/bash
# Allo's own test files, run unchanged with `allo` aliased to `allo_rtl` (conftest.py here),
# one pytest per file, per-file pass/fail counts appended to OUT/summary.txt.
#
#   ALLO_TESTS=DIR   a directory holding Allo's tests/ (e.g. `git archive HEAD tests | tar x`
#                    from a clone of cornell-zhang/allo); never inside this repository
#   PY=python        the interpreter with allo_rtl installed (default: this repo's .venv)
#   BASE=DIR         import allo_rtl from DIR instead (an export of another commit, for before/after)
#   ALLO_TEST_TIMEOUT=90   seconds per test; a longer test fails as SlowTest
#
# usage: scripts/allo_tests/run.sh OUT [test files relative to ALLO_TESTS]
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=${PY:-$REPO/.venv/bin/python}
: "${ALLO_TESTS:?set ALLO_TESTS to the directory that holds the Allo tests directory}"
OUT=$(realpath -m "${1:?usage: run.sh OUT [files]}"); shift
FILES=${@:-"tests/test_builder.py tests/test_types.py tests/test_bitop.py tests/test_linalg.py
 tests/test_schedule_compute.py tests/test_schedule_memory.py tests/test_schedule_compose.py
 tests/test_schedule_stream.py tests/test_schedule_structure.py tests/test_function_calls.py
 tests/test_memory.py tests/test_nn.py tests/dataflow/test_producer_consumer.py
 tests/dataflow/test_df_unit.py tests/dataflow/test_systolic.py tests/dataflow/test_tiled_gemm.py
 tests/dataflow/test_pingpong_gemm.py tests/dataflow/test_1D_systolic.py"}
mkdir -p "$OUT"
cp "$HERE/conftest.py" "$ALLO_TESTS/conftest.py"      # the alias, beside (not in) Allo's tests/
export PATH=$(dirname "$PY"):$PATH ALLO_TEST_TIMEOUT=${ALLO_TEST_TIMEOUT:-90}
[ -n "$BASE" ] && export PYTHONPATH=$BASE
cd "$ALLO_TESTS"
for f in $FILES; do
  n=$(basename "$f" .py)
  nice timeout 3000 "$PY" -m pytest -q -p no:cacheprovider --rootdir="$ALLO_TESTS" -c /dev/null \
      --confcutdir="$ALLO_TESTS" --junitxml="$OUT/$n.xml" -o junit_family=xunit1 "$f" \
      > "$OUT/$n.log" 2>&1
  "$PY" - "$OUT/$n.xml" "$f" <<'PY' | tee -a "$OUT/summary.txt"
import sys, xml.etree.ElementTree as ET
try:
    s = ET.parse(sys.argv[1]).getroot()
    s = s if s.tag == "testsuite" else s[0]
    t, f, e, k = (int(s.get(a, 0)) for a in ("tests", "failures", "errors", "skipped"))
    print(f"{sys.argv[2]:48s} pass {t-f-e-k:3d} / {t:3d}  (fail {f}, error {e}, skip {k})")
except Exception as x:
    print(f"{sys.argv[2]:48s} NO RESULT ({x})")
PY
done
echo "causes: $PY $HERE/classify.py $OUT"

"""The QoR suite command (benchmarks/suite.py) on a small selection, cycle model only: it
writes the JSON (commit, machine, rows), the markdown table and the plots; results are checked
(numpy for PolyBench, check.data for MachSuite); the comparison lists a regression when a
kernel takes more cycles or became wrong."""
import copy
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import machsuite, suite            # noqa: E402
from benchmarks.suite_output import compare        # noqa: E402


def test_suite_writes_results_tables_and_plots(tmp_path):
    if not (machsuite.DATA / "kmp" / "kmp" / "input.data").exists():
        pytest.skip(f"MachSuite data not found in {machsuite.DATA} (set MACHSUITE_DATA)")
    suite.main(["--fast", "--only", "atax,bicg,kmp/kmp", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "latest.json").read_text())
    assert data["commit"] and data["machine"]["cpus"] >= 1
    rows = {(r["kernel"], r["schedule"]): r for r in data["rows"]}
    assert set(rows) == {("atax", "a"), ("atax", "b"), ("bicg", "a"), ("bicg", "b"),
                         ("kmp/kmp", "a")}
    assert all(r["ok"] for r in rows.values())
    assert rows["atax", "b"]["bound"] <= rows["atax", "b"]["cycles"]
    assert rows["atax", "a"]["vivado"] == 715 and rows["bicg", "a"]["calyx"] == 1083
    md = (tmp_path / "latest.md").read_text()
    assert "| atax | " in md and "| kmp/kmp | " in md and "geomean" in md
    assert (tmp_path / "cycles.png").stat().st_size > 1000
    assert (tmp_path / "cycles.svg").exists()


def test_regressions_are_listed():
    prev = {"rows": [{"suite": "polybench", "kernel": "gemm", "schedule": "b", "cycles": 600,
                      "ok": True, "compile_s": 1.0}]}
    cur = copy.deepcopy(prev)
    assert compare(prev, cur) == []
    cur["rows"][0].update(cycles=650, ok=False, compile_s=3.0)
    out = compare(prev, cur)
    assert "gemm (b): 600 -> 650 cycles" in out and "gemm (b): was correct, now wrong" in out
    assert any("compile 1.0 -> 3.0 s" in x for x in out)

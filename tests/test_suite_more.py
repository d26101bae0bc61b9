"""The QoR suite's newer rows: MachSuite aes, nw, md/knn, viterbi against MachSuite's
check.data (and the checks reject a wrong result), bfs/queue and aes from the RTL with
cycles equal to the model's, float32 PolyBench bit for bit against numpy, and the board cache
(a design's numbers are reused while its Verilog is unchanged, rebuilt when it changes)."""
import contextlib
import copy
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import board_cache, machsuite, suite     # noqa: E402
import float_polybench                                   # noqa: E402
import kernels                                           # noqa: E402

BY_NAME = {k.name: k for k in machsuite.KERNELS}


def _need(name):
    if not (machsuite.DATA / name / "input.data").exists():
        pytest.skip(f"MachSuite data not found in {machsuite.DATA} (set MACHSUITE_DATA)")
    return BY_NAME[name]


def _wrong(k, args, result, check, change):
    """k's check on a copy of the outputs with one value changed: must report a problem."""
    bad = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    change(bad)
    return k.check(bad, result, check)


@pytest.mark.parametrize("name", ["aes/aes", pytest.param("nw/nw", marks=pytest.mark.slow)])
def test_machsuite_kernel_matches_check_data(name):
    k = _need(name)
    row = suite.machsuite_row(k, fast=True)
    assert row["ok"], row["problem"]
    assert row["cycles"] > 1000 and row["source"] == "cycle model"


def test_machsuite_checks_reject_a_wrong_result():
    for name, change in [("aes/aes", lambda a: a[1].__setitem__(3, a[1][3] ^ 1)),
                         ("nw/nw", lambda a: a[2].__setitem__(5, 45)),
                         ("md/knn", lambda a: a[1].__setitem__(7, a[1][7] + 2e-6)),
                         ("viterbi/viterbi", lambda a: a[4].__setitem__(0, a[4][0] + 1))]:
        k = _need(name)
        inputs, check = k.data()
        args = k.inputs(inputs)
        # the expected outputs written into the arguments pass; one value changed fails
        if name == "aes/aes":
            args[1][:] = np.array(check[0], np.int32)
        elif name == "nw/nw":
            args[2][:len(check[0][0])] = np.frombuffer(check[0][0].encode(), np.uint8)
            args[3][:len(check[1][0])] = np.frombuffer(check[1][0].encode(), np.uint8)
        elif name == "md/knn":
            for i in range(3):
                args[i][:] = np.array(check[i], np.float64)
        else:
            args[4][:] = np.array(check[0], np.int32)
        assert k.check(args, None, check) is None, name
        assert _wrong(k, args, None, check, change) is not None, name


@pytest.mark.slow
@pytest.mark.parametrize("name", ["md/knn", "viterbi/viterbi"])
def test_float64_machsuite_kernels_match_check_data(name):
    row = suite.machsuite_row(_need(name), fast=True)
    assert row["ok"], row["problem"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bfs/queue", "aes/aes"])
def test_machsuite_rtl_rows(name):
    row = suite.machsuite_row(_need(name))
    assert row["source"] == "rtl" and row["ok"], row["problem"]
    assert row["cycles"] == row["model_cycles"]


def test_float_polybench_row_is_bit_exact_and_pipelined():
    case = float_polybench.BY_NAME["jacobi-1d"]
    a, b = suite.float_row(case, "a"), suite.float_row(case, "b")
    assert a["ok"] and b["ok"] and b["cycles"] < a["cycles"]
    assert b["loops"] and all(x["ii"] >= 1 for x in b["loops"])


def test_board_cache_reuses_numbers_until_the_verilog_changes(tmp_path, monkeypatch):
    from allo_rtl.boards import build
    built = []

    def fake_build(design, board, project, progress=None):
        built.append((design.name, board))
        return {"fmax_mhz": 50.0 + len(built), "seconds": 1.0,
                "utilization": {"lut": 10, "ff": 5, "bram": 0, "dsp": 1}}
    monkeypatch.setattr(build, "build_bitstream", fake_build)
    monkeypatch.setattr(build, "tool_environment", contextlib.nullcontext)  # Amaranth's Yosys
    cache = board_cache.BoardCache(tmp_path / "boards.json")
    first = cache.numbers(kernels.atax, None, "ecp5", tmp_path / "p", "atax (a)")
    again = board_cache.BoardCache(tmp_path / "boards.json").numbers(
        kernels.atax, None, "ecp5", tmp_path / "p", "atax (a)")
    assert first == again and len(built) == 1 and first["fmax_mhz"] == 51.0
    # another schedule: other Verilog, built; another board: built
    cache.numbers(kernels.atax, kernels.pipeline_innermost, "ecp5", tmp_path / "p", "atax (b)")
    cache.numbers(kernels.atax, None, "ice40", tmp_path / "p", "atax (a)")
    assert built == [("atax", "ulx3s-85f")] * 2 + [("atax", "icebreaker")]
    assert board_cache.BoardCache(tmp_path / "boards.json", rebuild=True).numbers(
        kernels.atax, None, "ecp5", tmp_path / "p", "atax (a)")["fmax_mhz"] == 54.0


def test_machsuite_rows_get_board_columns(tmp_path, monkeypatch):
    """A MachSuite row with --boards: its board numbers (a fake build) reach the board table,
    and an iCE40 build is skipped when the ECP5 numbers exceed the UP5K."""
    from allo_rtl.boards import build
    from benchmarks.suite_output import board_table

    def fake_build(design, board, project, progress=None):
        return {"fmax_mhz": 40.0, "seconds": 1.0,
                "utilization": {"lut": 9999 if board == "ulx3s-85f" else 1, "ff": 5,
                                "bram": 2, "dsp": 0}}
    monkeypatch.setattr(build, "build_bitstream", fake_build)
    monkeypatch.setattr(build, "tool_environment", contextlib.nullcontext)
    cache = board_cache.BoardCache(tmp_path / "boards.json")
    row = suite.machsuite_row(_need("kmp/kmp"), fast=True, boards=["ecp5", "ice40"],
                              board_cache=cache)
    assert row["ok"] and row["board"]["ecp5"]["lut"] == 9999
    assert row["board"]["ice40"]["fits"] is False
    table = "\n".join(board_table({"rows": [row]}))
    assert "| kmp/kmp | a | ulx3s-85f | 40.0 | 9999 | 5 | 2 | 0 |" in table
    assert "| kmp/kmp | a | icebreaker | does not fit: 9999 LUTs" in table


def test_ice40_skipped_when_ecp5_numbers_exceed_the_up5k():
    assert "LUTs" in suite._exceeds_ice40({"lut": 9000, "dsp": 0})
    assert "multiplier" in suite._exceeds_ice40({"lut": 900, "dsp": 12})
    assert suite._exceeds_ice40({"lut": 900, "dsp": 3}) is None


def test_comparison_with_the_committed_results_finds_a_regression():
    """The committed latest.json (as HEAD holds it) against itself: nothing; with one kernel
    slower and one wrong: both listed."""
    from benchmarks.suite_output import compare
    committed = suite.last_committed(suite.RESULTS / "latest.json")
    if committed is None:
        pytest.skip("no committed results (not a git checkout)")
    assert compare(committed, committed) == []
    now = copy.deepcopy(committed)
    rows = [r for r in now["rows"] if "cycles" in r]
    rows[0]["cycles"] += 1
    rows[-1]["ok"] = False
    out = compare(committed, now)
    assert len(out) == 2 and f"{rows[0]['kernel']} ({rows[0]['schedule']}): " in out[0]


def test_board_table_reasons_drop_the_error_location():
    from benchmarks.suite_output import _why
    assert _why("/somewhere/machsuite.py:44:1: error: stencil2d's arrays need 524576 bits of "
                "block RAM; icebreaker has 122880") == (
        "stencil2d's arrays need 524576 bits of block RAM; icebreaker has 122880")
    assert _why("error: the ice40 build of syrk failed: ERROR: Failed to expand region") == (
        "the ice40 build of syrk failed: ERROR: Failed to expand region")

"""Bitstreams with the open toolchain (YoWASP Yosys + nextpnr) for gemm 8x8 int32 on iCEBreaker
and ULX3S-85F; reports come from the tools. Plus the checks made before place and route."""
import json
from pathlib import Path

import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32
from kernels import N

BUILD_ROOT = Path(__file__).resolve().parent.parent / "build" / "test_boards"   # not /tmp


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


@pytest.mark.board
@pytest.mark.parametrize("board", ["icebreaker", "ulx3s-85f"])
def test_gemm_bitstream_meets_timing_at_the_board_clock(board):
    project = BUILD_ROOT / f"gemm_{board}"
    mod = allo.customize(gemm).build(target="board", board=board, project=project)
    rep = mod.board_report
    assert Path(rep["bitstream"]).stat().st_size > 10_000
    assert rep["timing_met"] and rep["fmax_mhz"] >= rep["clock_mhz"]
    util = rep["utilization"]
    assert util["lut"] > 100 and util["ff"] > 50 and util["bram"] >= 1
    saved = json.loads((project / "allo_rtl_board_report.json").read_text())
    assert saved["fmax_mhz"] == rep["fmax_mhz"]
    assert (project / "top.rpt").exists() and (project / "top.tim").exists()   # full tool logs
    assert f"board {board}" in str(mod.report())


def huge(A: int32[64, 64], B: int32[64, 64]) -> int32[64, 64]:
    C: int32[64, 64] = 0
    for i, j in allo.grid(64, 64):
        C[i, j] = A[i, j] + B[i, j]
    return C


def test_arrays_too_big_for_block_ram_are_refused_before_place_and_route():
    with pytest.raises(allo.AlloError, match=r"need \d+ bits of block RAM; icebreaker has"):
        allo.customize(huge).build(target="board", board="icebreaker",
                                   project=BUILD_ROOT / "huge")


def test_board_errors_are_clear():
    s = allo.customize(gemm)
    with pytest.raises(allo.AlloError, match="unknown board 'nope'"):
        s.build(target="board", board="nope", project=BUILD_ROOT / "x")
    with pytest.raises(allo.AlloError, match="under /tmp"):
        s.build(target="board", board="icebreaker", project="/tmp/allo-board")
    with pytest.raises(allo.AlloError, match="no UART"):
        s.build(target="board", board="orangecrab-25f", project=BUILD_ROOT / "oc")
    with pytest.raises(allo.AlloError, match="needs board=NAME"):
        s.build(target="board")

